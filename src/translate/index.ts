// The translator's entry: what the rest of the code imports of src/translate.
export * from './translator';
