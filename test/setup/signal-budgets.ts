// Every test file: signal families get a generous time budget unless a test sets one, so a loaded machine (CI,
// parallel test files) never turns a slow family into a timeout and changes what a request matches.
import { setDefaultSignalBudgetMs } from '../../src/policy/compile-policy.ts';

setDefaultSignalBudgetMs(60_000);
