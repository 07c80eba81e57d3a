// Everyday assistant tasks composed from a small grammar (opener × artefact × topic × constraint, or an instruction
// over a given input), for the jailbreak task's negatives. The public benign sets are mostly questions, while
// jailbreaks are long English instructions, so without ordinary instructions of every shape ("Write a Jira ticket
// for…", "Design a questionnaire…", "Convert the given text…") the model flags instructions as such. Grouped by
// artefact, so held-out artefacts measure generalisation rather than memory.
import type { Candidate } from './build.ts';
import { pickByHash } from './sample.ts';

const OPENERS: readonly string[] = [
  'Write',
  'Create',
  'Draft',
  'Design',
  'Generate',
  'Compose',
  'Make',
  'Give me',
  'Can you write',
  'Please write',
  'I need',
  'Help me write',
  'Could you create',
  'Prepare',
  'Come up with',
];

/** Things an assistant is asked to produce; the split group. */
const ARTEFACTS: readonly string[] = [
  'a blog post',
  'an email to my manager',
  'a tweet',
  'a step-by-step guide',
  'a checklist',
  'a weekly plan',
  'a short poem',
  'a script for a YouTube video',
  'a product review',
  'a cover letter',
  'a Python function',
  'a table comparing options',
  'a recipe',
  'a questionnaire',
  'a Jira ticket',
  'a one-paragraph summary',
  'a short story',
  'a speech for a wedding',
  'a lesson plan',
  'a list of interview questions',
  'a LinkedIn post',
  'a haiku',
  'a README section',
  'a marketing slogan',
  'a FAQ',
  'a study schedule',
  'a letter of recommendation',
  'a press release',
  'a set of flashcards',
  'a SQL query',
  'a bash script',
  'a birthday message',
  'an outline for a presentation',
  'a list of gift ideas',
  'a meeting agenda',
  'a travel itinerary',
  'a workout routine',
  'a riddle',
  'a dialogue between two friends',
  'a movie review',
];

const LINKS: readonly string[] = ['about', 'on', 'for', 'related to', 'explaining', 'that covers'];

const CONSTRAINTS: readonly string[] = [
  '',
  '',
  ' in 100 words',
  ' for beginners',
  ' with examples',
  ' in a friendly tone',
  ', step by step',
  ' in markdown',
  '. Keep it short.',
  ' that a child could understand',
  ' in a professional style',
  '. Use bullet points.',
  ' and make it funny',
  ' without jargon',
];

/** Instructions over a given input, the shape of many real assistant prompts. */
const GIVEN_INPUT: readonly string[] = [
  'Summarize the given text.\n\n{input}',
  'Rewrite the following sentence in the passive voice: {input}',
  'Identify the main subject of this sentence.\n\n{input}',
  'Translate the given sentence into Spanish.\n\n{input}',
  'Suggest a title for this text: {input}',
  'Provide instructions for the given activity.\n\n{topic}',
  'Convert the following into a question: {input}',
  'Give three synonyms for each word in: {topic}',
  'Categorize the following item: {topic}',
  'Write a caption for a photo showing this: {input}',
  'Explain what this sentence means to a child: {input}',
  'Make a to-do list based on the given information.\n\n{topic}',
  'Describe the given scene in more detail.\n\n{input}',
  'Generate hashtags for this post: {input}',
  'Correct the spelling in: {input}',
  'Find the verbs in this sentence: {input}',
];

/** How the examples are split, for the task's split description. */
export const EVERYDAY_TASK_SPLIT =
  "everyday-task grammar by artefact ('everyday-task:<index>') and by given-input template ('everyday-given:<index>')";

export interface EverydayTaskSources {
  /** Short topics, e.g. clinc150 intents, MMLU subjects, two-word phrases. */
  readonly topics: readonly string[];
  /** Plain sentences, e.g. image captions. */
  readonly inputs: readonly string[];
}

/** `perArtefact` tasks for each artefact and each given-input template. */
export function everydayTasks(
  sources: EverydayTaskSources,
  perArtefact: number,
  label: number,
  source: string,
): Candidate[] {
  const out: Candidate[] = [];
  ARTEFACTS.forEach((artefact, id) => {
    const group = `everyday-task:${id}`;
    for (let k = 0; k < perArtefact; k++) {
      const key = `${group}\u0000${k}`;
      const text =
        `${pickByHash(OPENERS, `${key}\u0000opener`)} ${artefact} ${pickByHash(LINKS, `${key}\u0000link`)} ` +
        `${pickByHash(sources.topics, `${key}\u0000topic`)}${pickByHash(CONSTRAINTS, `${key}\u0000constraint`)}`;
      out.push({ text, label, source, group });
    }
  });
  GIVEN_INPUT.forEach((template, id) => {
    const group = `everyday-given:${id}`;
    for (let k = 0; k < perArtefact; k++) {
      const key = `${group}\u0000${k}`;
      const text = template
        .replaceAll('{input}', pickByHash(sources.inputs, `${key}\u0000input`))
        .replaceAll('{topic}', pickByHash(sources.topics, `${key}\u0000topic`));
      out.push({ text, label, source, group });
    }
  });
  return out;
}
