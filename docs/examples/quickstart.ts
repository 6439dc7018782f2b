import { openTabtune, generateEmails, toChatJsonl } from 'tabtune';

const tt = await openTabtune(); // Node: a .tabtune folder here; the page: the app's IndexedDB database and a training worker
const emails = toChatJsonl(generateEmails({ count: 200, seed: 0 }));
const file = await tt.files.create({ file: { name: 'emails.jsonl', text: emails }, purpose: 'fine-tune' });
const job = await tt.fineTuning.jobs.create({ training_file: file.id, model: 'tabtune-mini', hyperparameters: { n_epochs: 3 } });
for await (const event of tt.fineTuning.jobs.events(job.id, { follow: true })) console.log(event.level, event.message);
const { fine_tuned_model } = await tt.fineTuning.jobs.retrieve(job.id);
console.log(await tt.predict({ model: fine_tuned_model!, input: 'Invoice 2291 is attached; payment is due in 30 days.' }));
await tt.close();
