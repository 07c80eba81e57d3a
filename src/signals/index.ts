// Every signal family the router knows, by YAML key. A family not listed here is a policy error.
import { classifiersFamily } from './classifiers.ts';
import { complexityFamily } from './complexity.ts';
import { contextFamily } from './context-length.ts';
import { conversationFamily } from './conversation.ts';
import { domainsFamily } from './domains.ts';
import { embeddingsFamily } from './embeddings.ts';
import { eventsFamily } from './events.ts';
import { factCheckFamily } from './fact-check.ts';
import { jailbreakFamily } from './jailbreak.ts';
import { kbFamily } from './kb.ts';
import { keywordsFamily } from './keywords.ts';
import { languageFamily } from './language.ts';
import { metadataFamily } from './metadata.ts';
import { modalityFamily } from './modality.ts';
import { piiFamily } from './pii.ts';
import { preferencesFamily } from './preferences.ts';
import { reaskFamily } from './reask.ts';
import { roleBindingsFamily } from './role-bindings.ts';
import type { SignalFamily } from './signal-family.ts';
import { structureFamily } from './structure.ts';
import { userFeedbackFamily } from './user-feedback.ts';

export const signalFamilies: readonly SignalFamily[] = [
  keywordsFamily,
  contextFamily,
  languageFamily,
  structureFamily,
  conversationFamily,
  roleBindingsFamily,
  metadataFamily,
  piiFamily,
  domainsFamily,
  jailbreakFamily,
  classifiersFamily,
  embeddingsFamily,
  complexityFamily,
  eventsFamily,
  reaskFamily,
  userFeedbackFamily,
  factCheckFamily,
  kbFamily,
  preferencesFamily,
  modalityFamily,
] as SignalFamily[];

export const familiesByKey: ReadonlyMap<string, SignalFamily> = new Map(
  signalFamilies.map((f) => [f.family, f]),
);
export const familiesByConditionType: ReadonlyMap<string, SignalFamily> = new Map(
  signalFamilies.map((f) => [f.conditionType, f]),
);
