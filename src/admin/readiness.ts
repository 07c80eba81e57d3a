// What `/readyz` reports: ready only when every condition for serving routed traffic holds.

export interface ReadinessChecks {
  /** The policy compiled (the store opens only after the policy's models loaded). */
  readonly policyCompiled: boolean;
  readonly modelsWarm: boolean;
  /** The ext_proc gRPC server is bound and accepting streams. */
  readonly grpcAccepting: boolean;
  /** SIGTERM (or `close()`) started: the load balancer should stop sending new streams. */
  readonly shuttingDown: boolean;
}

export interface ReadinessReport {
  readonly ready: boolean;
  /** Why the router is not ready; absent when it is. */
  readonly reason?: string;
  readonly checks: ReadinessChecks;
}

export function readinessReport(checks: ReadinessChecks): ReadinessReport {
  const reason = checks.shuttingDown
    ? 'shutting down'
    : !checks.modelsWarm
      ? 'models are loading'
      : !checks.policyCompiled
        ? 'policy is not compiled yet'
        : !checks.grpcAccepting
          ? 'gRPC server is not accepting streams'
          : undefined;
  return reason === undefined ? { ready: true, checks } : { ready: false, reason, checks };
}
