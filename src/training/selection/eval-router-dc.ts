// `eval-routing --algorithm router_dc`: the pair score of a RouterDC model, the strong model's cosine with the
// query minus the weak one's, over query vectors embedded once for the whole held-out split.
import type { RouterDcModel } from '../../selection/router-dc/router-dc-model.ts';
import { EvalRoutingError } from './eval-routing.ts';
import type { OutcomeDataset } from './outcome-datasets.ts';
import { embedRows } from './train-router-dc.ts';

export async function routerDcPairScore(
  model: RouterDcModel,
  dataset: OutcomeDataset,
  strong: string,
  weak: string,
): Promise<(text: string) => number> {
  const s = model.profileIndex.get(strong);
  const w = model.profileIndex.get(weak);
  if (s === undefined || w === undefined)
    throw new EvalRoutingError(`${model.file} was not trained on ${s === undefined ? strong : weak}`);
  const rows = dataset.rows.filter((r) => r.split === 'test');
  const vectors = await embedRows(rows);
  const scores = new Map<string, number>();
  rows.forEach((row, i) => {
    const similarity = model.similarities(vectors[i] as Float32Array);
    scores.set(row.text, (similarity[s] as number) - (similarity[w] as number));
  });
  return (text) => {
    const score = scores.get(text);
    if (score === undefined) throw new EvalRoutingError('a held-out prompt was not embedded');
    return score;
  };
}
