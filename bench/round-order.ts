// The order of the variants in one round of an in-process bench. In one process, a block can leave garbage that is
// collected in the next block: with a plain rotation a variant always follows the same other one and inherits its
// debt. Here the rotation advances every second round and odd rounds run backwards, so each variant follows its
// neighbour on one side in even rounds and on the other side in odd rounds, and is first as often as any other.
export function roundOrder(round: number, count: number): number[] {
  const shift = Math.floor(round / 2);
  const order = Array.from({ length: count }, (_, k) => (shift + k) % count);
  return round % 2 === 0 ? order : order.reverse();
}
