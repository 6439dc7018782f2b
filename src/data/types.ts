// Shapes of a dataset as it flows from import through validation into the store.

/** One labelled text, the unit everything else is built from. */
export interface Example {
  text: string;
  label: string;
}

export type SplitName = 'train' | 'validation' | 'test';

/** An example placed in a split; `index` is its position in the dataset's canonical order. */
export interface SplitExample extends Example {
  index: number;
  split: SplitName;
}
