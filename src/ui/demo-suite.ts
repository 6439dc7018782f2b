// Adds the hand-written email suite (src/data/demo-suite.ts) to a demo dataset version, once.
import handwritten from '../data/handwritten-emails.jsonl?raw';
import { DEMO_SUITE_FILE, DEMO_SUITE_NAME, demoSuiteId, parseDemoSuite } from '../data/demo-suite';
import { addSuite } from '../store/suites';
import type { TabtuneDb } from '../store/db';

export async function ensureDemoSuite(db: TabtuneDb, datasetHash: string): Promise<void> {
  const id = demoSuiteId(datasetHash);
  if (await db.get('suites', id)) return;
  await addSuite(db, { id, datasetHash, name: DEMO_SUITE_NAME, sourceFile: `${DEMO_SUITE_FILE} (built in)`, created: Date.now(), examples: parseDemoSuite(handwritten) });
}
