// Errors in what `semantic-router simulate` reads (traces, fleet files, prompt lists): they name the file and line.
import { readFile } from 'node:fs/promises';

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

/** The text of an input file; one that cannot be read is a SimulationInputError naming `what` it was for. */
export async function readInputFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new SimulationInputError(
      file,
      `cannot read ${what} (${(error as NodeJS.ErrnoException).code ?? error})`,
    );
  }
}
