import { describe, expect, it } from 'vitest';
import { LazyAbortController } from '../../src/lazy-abort.ts';

describe('LazyAbortController', () => {
  it('hands out a live signal that fires on abort with the reason', () => {
    const controller = new LazyAbortController();
    const signal = controller.signal;
    const seen: unknown[] = [];
    signal.addEventListener('abort', () => seen.push(signal.reason));
    expect(signal.aborted).toBe(false);
    const reason = new Error('budget over');
    controller.abort(reason);
    expect(signal.aborted).toBe(true);
    expect(seen).toEqual([reason]);
    expect(controller.signal).toBe(signal);
  });

  it('a signal asked for after the abort is already aborted, with the same reason', () => {
    const controller = new LazyAbortController();
    const reason = new Error('client went away');
    controller.abort(reason);
    expect(controller.aborted).toBe(true);
    expect(controller.signal.aborted).toBe(true);
    expect(controller.signal.reason).toBe(reason);
  });

  it('aborts once: a later reason does not replace the first', () => {
    const controller = new LazyAbortController();
    controller.abort('first');
    controller.abort('second');
    expect(controller.signal.reason).toBe('first');
  });

  it('without a reason the signal carries an AbortError, as AbortController does', () => {
    const controller = new LazyAbortController();
    controller.abort();
    expect(() => controller.signal.throwIfAborted()).toThrow(expect.objectContaining({ name: 'AbortError' }));
  });
});
