// Errors in what `semantic-router simulate` reads (traces, fleet files, prompt lists): they name the file and line.

export class SimulationInputError extends Error {
  override readonly name = 'SimulationInputError';

  constructor(
    readonly file: string,
    message: string,
    readonly line?: number,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${message}`);
  }
}
