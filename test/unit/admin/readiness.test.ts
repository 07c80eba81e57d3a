// /readyz's verdict: ready only when every check holds; the reason names the first one that fails.
import { describe, expect, it } from 'vitest';
import { type ReadinessChecks, readinessReport } from '../../../src/admin/readiness.ts';

const READY: ReadinessChecks = {
  policyCompiled: true,
  modelsWarm: true,
  grpcAccepting: true,
  shuttingDown: false,
};

describe('readinessReport', () => {
  it('is ready when the policy is compiled, models are warm, gRPC accepts and no shutdown started', () => {
    expect(readinessReport(READY)).toEqual({ ready: true, checks: READY });
  });

  it.each([
    [{ policyCompiled: false, modelsWarm: false, grpcAccepting: false }, 'models are loading'],
    [{ policyCompiled: false }, 'policy is not compiled yet'],
    [{ grpcAccepting: false }, 'gRPC server is not accepting streams'],
    [{ shuttingDown: true }, 'shutting down'],
    [{ shuttingDown: true, grpcAccepting: false }, 'shutting down'],
  ] as const)('is not ready for %o: %s', (change, reason) => {
    expect(readinessReport({ ...READY, ...change })).toMatchObject({ ready: false, reason });
  });
});
