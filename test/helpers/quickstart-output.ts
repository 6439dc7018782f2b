// What docs/examples/quickstart.ts prints, checked the same way where it runs (Node and the page): one array of
// console.log arguments per line, the events first and the prediction last.
import { expect } from 'vitest';

export interface QuickstartPrediction {
  model: string;
  label: string;
  probabilities: Record<string, number>;
  baseline: { label: string };
}

/** Checks the printed lines; returns the events and the prediction for what only one place checks. */
export function expectQuickstartOutput(lines: unknown[][]): { events: { level: string; message: string }[]; prediction: QuickstartPrediction } {
  const events = lines.slice(0, -1).map(([level, message]) => ({ level: level as string, message: message as string }));
  expect(events[0]).toEqual({ level: 'info', message: 'Validating training file' });
  expect(events.at(-1)).toEqual({ level: 'info', message: 'The job has successfully completed' });
  // 200 emails: 160 train (80/10/10), batch 16 → 10 steps an epoch, 3 epochs.
  expect(events.filter((e) => /^Step \d+\/30: training loss=/.test(e.message)).map((e) => e.message.split(':')[0])).toEqual(['Step 10/30', 'Step 20/30', 'Step 30/30']);
  expect(events.filter((e) => /^Epoch \d\/3: validation loss=/.test(e.message))).toHaveLength(3);

  const prediction = lines.at(-1)![0] as QuickstartPrediction;
  expect(prediction.model).toMatch(/^ft:tabtune-mini:local::ftjob-/);
  expect(Object.keys(prediction.probabilities).sort()).toEqual(['invoice', 'order', 'spam', 'support']);
  expect(Object.values(prediction.probabilities).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
  expect(prediction.label).toBe('invoice');
  expect(prediction.probabilities.invoice).toBe(Math.max(...Object.values(prediction.probabilities)));
  expect(prediction.baseline.label).toBe('invoice');
  return { events, prediction };
}
