// Re-exports the CSV reader, which lives in src/ml/datasets/csv.ts (shared by the trainer and the benchmarks).
export { parseCsv, parseCsvRecords } from '../src/ml/datasets/csv.ts';
