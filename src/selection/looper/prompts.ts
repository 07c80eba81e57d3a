// The messages loopers add to the conversation when a model must read other models' answers (ReMoM rounds, the
// fusion judge, the workflow planner and its steps, the prompt selector). Answers are quoted, never interpreted.

export interface ModelAnswer {
  readonly model: string;
  readonly content: string;
}

function quoted(answers: readonly ModelAnswer[]): string {
  return answers.map((a, i) => `--- Answer ${i + 1} ---\n${a.content}`).join('\n\n');
}

function userMessage(content: string): { role: 'user'; content: string } {
  return { role: 'user', content };
}

/** ReMoM: the previous round's answers, to be improved on. */
export function refineMessage(answers: readonly ModelAnswer[]) {
  return userMessage(
    `Here are ${answers.length} candidate answers to the request above from the previous round.\n\n${quoted(answers)}\n\n` +
      'Check them against each other, fix their mistakes and write one improved, complete answer to the request.',
  );
}

/** ReMoM's final merge of the last round's answers. */
export function mergeMessage(answers: readonly ModelAnswer[]) {
  return userMessage(
    `Here are ${answers.length} candidate answers to the request above.\n\n${quoted(answers)}\n\n` +
      'Merge them into the single best answer to the request. Reply with that answer only.',
  );
}

/** Fusion: the judge reads the analyses and writes the final answer. */
export function fusionMessage(answers: readonly ModelAnswer[]) {
  return userMessage(
    `Independent experts answered the request above.\n\n${quoted(answers)}\n\n` +
      'Compare their reasoning, keep what is correct and well supported, resolve their disagreements, and write ' +
      'the final answer to the request. Reply with the final answer only.',
  );
}

/** Workflows: the planner writes a plan as JSON. */
export function planMessage(workers: readonly string[], maxSteps: number) {
  return userMessage(
    `Plan how to answer the request above in at most ${maxSteps} independent steps. Workers: ${workers.join(', ')}.\n` +
      'Reply with JSON only, in this shape: {"steps":[{"model":"<worker>","task":"<what this step must do>"}]}',
  );
}

/** Workflows: one step's instruction. */
export function stepMessage(task: string) {
  return userMessage(`You are doing one step of a larger plan for the request above. Your step: ${task}`);
}

/** Workflows: the planner writes the final answer from the steps' results. */
export function synthesisMessage(results: readonly ModelAnswer[]) {
  return userMessage(
    `The steps of your plan returned these results.\n\n${quoted(results)}\n\n` +
      'Write the final, complete answer to the request above from them. Reply with the answer only.',
  );
}

/** Confidence `self_verify`: the model rates its own answer. */
export function verifyMessage(answer: string) {
  return userMessage(
    `Here is a proposed answer to the request above.\n\n${answer}\n\n` +
      'How likely is it to be correct and complete? Reply with one number between 0 and 1 and nothing else.',
  );
}

/** Prompt selection: the helper model names the candidate for the request. */
export function selectorMessages(instructions: string, candidates: readonly string[], request: string) {
  return [
    {
      role: 'system',
      content:
        `${instructions}\n\nYou choose the model that should answer the user's request. ` +
        `Reply with exactly one of these model names and nothing else: ${candidates.join(', ')}`.trim(),
    },
    userMessage(request),
  ];
}
