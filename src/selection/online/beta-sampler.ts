// Draws from Beta(α, β) with a caller's uniform source (seeded in tests): Beta = X / (X + Y) with X ~ Gamma(α),
// Y ~ Gamma(β) (Marsaglia–Tsang), normals by Box–Muller.

function normal(random: () => number): number {
  let u = random();
  while (u <= Number.EPSILON) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function gamma(shape: number, random: () => number): number {
  if (shape < 1) {
    let u = random();
    while (u <= Number.EPSILON) u = random();
    return gamma(shape + 1, random) * u ** (1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

export function sampleBeta(alpha: number, beta: number, random: () => number): number {
  const x = gamma(Math.max(alpha, 1e-6), random);
  const y = gamma(Math.max(beta, 1e-6), random);
  return x + y === 0 ? 0.5 : x / (x + y);
}
