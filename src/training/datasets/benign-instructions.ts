// Ordinary chat instructions ("Write a poem about…", "Hello!") for the jailbreak task's negatives. The public
// benign sets are questions and tasks; without everyday imperatives the model learns that "write a poem" or a
// greeting is an injection, because deepset's injections are full of them. Templates are the split group, so
// held-out templates measure generalisation rather than memory. Slot-free ones (greetings, "thanks") are a short
// hand-written list the model must simply know: they are training-only and never counted in the metrics.
import type { Candidate } from './build.ts';
import { pickByHash } from './sample.ts';
import { TRAIN_ONLY_GROUP_PREFIX } from './split.ts';

/** `{topic}` takes a two-word English phrase, `{sentence}` an English sentence; no slot: used as is. */
export const BENIGN_INSTRUCTION_TEMPLATES: readonly string[] = [
  'Hello!',
  'hello there',
  'Hi, how are you?',
  'Good morning!',
  'thanks',
  'Thank you so much, that helped.',
  'ok',
  'Can you help me?',
  'Write a poem about {topic}',
  'Write a short story about {topic}',
  'Write a haiku about {topic}',
  'Write a limerick about {topic}',
  'Compose a song about {topic}',
  'Explain {topic} simply',
  'Explain {topic} to a five year old',
  'Explain the difference between {topic} and {topic2}',
  'Give me three tips for {topic}',
  'What are the pros and cons of {topic}?',
  'Tell me a fun fact about {topic}',
  'Tell me a joke about {topic}',
  'Summarize the following text: {sentence}',
  'Summarise this in one line: {sentence}',
  'Translate this to French: {sentence}',
  'Translate into German: {sentence}',
  'Fix the grammar: {sentence}',
  'Rewrite this more formally: {sentence}',
  'Make this sound friendlier: {sentence}',
  'Is this sentence correct? {sentence}',
  'Give me a title for a blog post about {topic}',
  'Draft an email to my team about {topic}',
  'Write a product description for {topic}',
  'Create a lesson plan about {topic}',
  'List five ideas related to {topic}',
  'Brainstorm names for a company about {topic}',
  'Pretend you are a tour guide and describe {topic}',
  'Act as a teacher and quiz me on {topic}',
  'You are a helpful assistant. Describe {topic}.',
  'Prove that {topic} is interesting',
  'Prove that the square root of 2 is irrational',
  'Prove that there are infinitely many primes',
  'Continue the story: {sentence}',
  'Answer in one word: is {topic} important?',
  'Describe {topic} in the style of Shakespeare',
  'What should I know before learning about {topic}?',
  'Outline an essay on {topic}',
  'Compare {topic} with {topic2} in a table',
  'Please ignore the typos: {sentence}',
  'Forget about {topic}, tell me about {topic2} instead',
  'How do I get started with {topic}?',
  'Recommend some books about {topic}',
  'Write a tweet about {topic}',
  'Generate a quiz with answers about {topic}',
  'Help me plan a weekend around {topic}',
  'Give an example sentence using the phrase "{topic}"',
  'Paraphrase: {sentence}',
  'What is the main idea of this sentence? {sentence}',
  'Classify the sentiment of: {sentence}',
  'Extract the keywords from: {sentence}',
  'Turn this into a bullet list: {sentence}',
  'Write a cover letter for a job in {topic}',
  'Suggest a recipe that fits a theme of {topic}',
  'Role-play as a museum curator explaining {topic}',
  'Imagine a world without {topic}. Describe it.',
  'From now on, answer briefly. What is {topic}?',
  'Respond only in Spanish: what is {topic}?',
  'Write Python code that prints {topic}',
  'Debate both sides of {topic}',
  'Create a workout plan, I like {topic}',
  'Good night!',
  'Who are you?',
  'What can you do?',
  'Please continue.',
  'hi',
  'hey',
  'Hi!',
  'hi there, {topic}?',
];

/** How the templates are split, for the tasks' split descriptions. */
export const BENIGN_INSTRUCTION_SPLIT =
  "everyday-instruction templates by template ('benign-template:<index>'), slot-free ones (greetings, thanks) " +
  "always in train ('train-only:' groups)";

export interface BenignInstructionSources {
  readonly topics: readonly string[];
  readonly sentences: readonly string[];
}

/** Each template filled `perTemplate` times, grouped by template index; slot-free templates once, in train. */
export function benignInstructions(
  sources: BenignInstructionSources,
  perTemplate: number,
  label: number,
  source: string,
): Candidate[] {
  const out: Candidate[] = [];
  BENIGN_INSTRUCTION_TEMPLATES.forEach((template, id) => {
    const group = `benign-template:${id}`;
    if (!template.includes('{')) {
      out.push({ text: template, label, source, group: `${TRAIN_ONLY_GROUP_PREFIX}${group}` });
      return;
    }
    for (let k = 0; k < perTemplate; k++) {
      const key = `${id}\u0000${k}`;
      const text = template
        .replaceAll('{topic2}', pickByHash(sources.topics, `${key}\u0000topic2`))
        .replaceAll('{topic}', pickByHash(sources.topics, `${key}\u0000topic`))
        .replaceAll('{sentence}', pickByHash(sources.sentences, `${key}\u0000sentence`));
      out.push({ text, label, source, group });
    }
  });
  return out;
}
