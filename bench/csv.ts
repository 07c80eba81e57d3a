// Re-exports the CSV reader, which lives in src/training/datasets/csv.ts (shared by the trainer and the benchmarks).
export { parseCsv, parseCsvRecords } from '../src/training/datasets/csv.ts';
