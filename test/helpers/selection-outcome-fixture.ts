// The routing-outcome loaders' test data, written to a temporary directory in the layout of ../shared/data:
// a handful of hand-written rows in each data set's format (never copied from the data sets).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const FILES: Readonly<Record<string, string>> = {
  'mmlu-pro-model-outcomes/mmlu_pro_correct_by_model.csv': `question_id,category,src,big-model,small-model,partial-model
1,math,ori_mmlu-algebra,1,0,1
2,history,ori_mmlu-world_history,1,1,
3,law,ori_mmlu-law,0,1,0
4,math,theoremQA-math,1,0,1
99,math,ori_mmlu-algebra,1,1,1
`,
  'mmlu-pro-model-outcomes/mmlu_pro_output_chars_by_model.csv': `question_id,big-model,small-model,partial-model
1,900,300,400
2,800,250,
3,1000,200,350
4,700,320,380
`,
  'mmlu-pro/mmlu_pro_test_question_category.csv': `question_id,category,src,question
1,math,ori_mmlu-algebra,"What is the derivative of x^2, evaluated at x = 3?"
2,history,ori_mmlu-world_history,"Which treaty ended the Thirty Years' War?"
3,law,ori_mmlu-law,"A tenant signs a lease ""as is""; who repairs the roof?"
4,math,theoremQA-math,Solve 2x + 3 = 11 for x.
`,
  'routerbench-subset/routerbench_arc-challenge.csv': String.raw`split,sample_id,eval_name,prompt,big,small,big|total_cost,small|total_cost,oracle_model_to_route_to
train,arc.1,arc-challenge,"['Which gas do plants absorb?']",1.0,1.0,0.002,0.0001,small
test,arc.2,arc-challenge,"['Why is the sky blue?', 'Explain it\'s Rayleigh scattering']",1.0,0.0,0.003,0.0002,big
`,
  'routerbench-subset/routerbench_mbpp.csv': `split,sample_id,eval_name,prompt,big,small,big|total_cost,small|total_cost,oracle_model_to_route_to
train,mbpp.1,mbpp,"['Write a python function to add two numbers.']",1.0,0.0,0.004,0.0003,big
`,
  'routerbench-subset/routerbench_winogrande.csv': `split,sample_id,eval_name,prompt,big,small,big|total_cost,small|total_cost,oracle_model_to_route_to
test,wino.1,winogrande,"['The trophy does not fit in the suitcase because it is too big.']",0.0,1.0,0.001,0.00005,small
`,
};

/** Writes the fixture data sets and returns their root (a fresh temporary directory). */
export function writeSelectionOutcomeFixture(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'selection-outcomes-'));
  for (const [file, text] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}
