// The response cache's metrics: lookups by outcome with their latency, stores, answers not stored, evictions,
// and the store's entries and bytes (read when metrics are collected).
import type { Meter } from '@opentelemetry/api';
import { LABEL, METRIC } from '../../telemetry/metric-names.ts';
import type { ResponseCacheRegistry } from './response-cache-registry.ts';

/** The cache's metric names (declared with the others in src/telemetry/metric-names.ts). */
export const CACHE_METRIC = {
  lookups: METRIC.cacheLookups,
  lookupDuration: METRIC.cacheLookupDuration,
  stores: METRIC.cacheStores,
  rejected: METRIC.cacheRejected,
  evictions: METRIC.cacheEvictions,
  sharedErrors: METRIC.cacheSharedErrors,
  entries: METRIC.cacheEntries,
  bytes: METRIC.cacheBytes,
} as const;

const OUTCOME = LABEL.outcome;

export function observeResponseCache(meter: Meter, registry: ResponseCacheRegistry): void {
  const lookups = meter.createCounter(CACHE_METRIC.lookups, {
    description: 'Response cache lookups by outcome',
  });
  const duration = meter.createHistogram(CACHE_METRIC.lookupDuration, {
    description: 'Response cache lookup time (key, embedding, search)',
    unit: 's',
  });
  registry.onLookup((outcome, seconds) => {
    lookups.add(1, { [OUTCOME]: outcome });
    if (outcome !== 'skipped') duration.record(seconds, { [OUTCOME]: outcome });
  });
  const stores = meter.createObservableCounter(CACHE_METRIC.stores, {
    description: 'Answers stored in the cache',
  });
  const rejected = meter.createObservableCounter(CACHE_METRIC.rejected, {
    description: 'Answers not stored (incomplete, cancelled, not 2xx, too large, not one text choice)',
  });
  const evictions = meter.createObservableCounter(CACHE_METRIC.evictions, {
    description: 'Entries evicted to keep the cache within its bounds',
  });
  const sharedErrors = meter.createObservableCounter(CACHE_METRIC.sharedErrors, {
    description: 'Failed reads and writes of cache entries shared through the state store',
  });
  const entries = meter.createObservableGauge(CACHE_METRIC.entries, { description: 'Entries in the cache' });
  const bytes = meter.createObservableGauge(CACHE_METRIC.bytes, {
    description: 'Estimated memory the cache entries hold',
    unit: 'By',
  });
  meter.addBatchObservableCallback(
    (observer) => {
      const current = registry.snapshot();
      observer.observe(stores, current.stores);
      observer.observe(rejected, current.rejectedAnswers);
      observer.observe(evictions, current.evictions);
      observer.observe(sharedErrors, current.sharedErrors);
      observer.observe(entries, current.entries);
      observer.observe(bytes, current.bytes);
    },
    [stores, rejected, evictions, sharedErrors, entries, bytes],
  );
}
