import { openTabtune } from '../../src/web';
import { generateEmails, toChatJsonl } from '../../src/data/synth';

const tt = await openTabtune(); // the app's IndexedDB database and a training worker: jobs survive a reload
const emails = toChatJsonl(generateEmails({ count: 60, seed: 0 }));
const file = await tt.files.create({ file: { name: 'emails.jsonl', text: emails }, purpose: 'fine-tune' });
const job = await tt.fineTuning.jobs.create({ training_file: file.id, model: 'tiny-bert', hyperparameters: { n_epochs: 2 } });
for await (const event of tt.fineTuning.jobs.events(job.id, { follow: true })) console.log(event.level, event.message);
const { fine_tuned_model } = await tt.fineTuning.jobs.retrieve(job.id);
console.log(await tt.predict({ model: fine_tuned_model!, input: 'Invoice 2291 is attached; payment is due in 30 days.' }));
await tt.close();
