// Whether a request wants text (AR, autoregressive), an image made (DIFFUSION) or both: vLLM Semantic Router's
// `keyword` modality detection, with built-in cue lists instead of its mmBERT modality classifier (not shipped here).
// An image ask is a drawing verb used as a request, or a making verb whose object is an image noun; BOTH is an image
// ask alongside a writing / explaining ask.

import { headAndTail } from './head-tail.ts';

export const MODALITIES = ['AR', 'DIFFUSION', 'BOTH'] as const;
export type Modality = (typeof MODALITIES)[number];

export interface ModalityResult {
  readonly modality: Modality;
  /** The peer's keyword-method confidences: 0.8 for AR and DIFFUSION, 0.75 for BOTH, 1 for an empty text. */
  readonly confidence: number;
  /** Which cue decided, for explanations (never the prompt's words). */
  readonly cue: 'empty' | 'none' | 'draw-verb' | 'make-image' | 'image-first' | 'with-image';
}

const IMAGE_NOUNS =
  '(?:images?|pictures?|pics?|photos?|photographs?|illustrations?|drawings?|paintings?|logos?|icons?|posters?|' +
  'wallpapers?|avatars?|banners?|sprites?|cartoons?|artworks?|portraits?|sketch(?:es)?|renders?|renderings?|' +
  'pixel art|clip ?art|3d models?|memes?|diagrams?|infographics?|thumbnails?|visuals?|watercolou?rs?|' +
  'oil paintings?|stickers?|emojis?|comics?|images? générées?|imagen(?:es)?|bilde?r?|图片|图像|插图|照片)';

/** A drawing verb at the start of a request (sentence start or after a polite lead-in), not an idiom. */
const DRAW_REQUEST = new RegExp(
  String.raw`(?:^|[.!?\n;:]\s*|\b(?:please|pls|can you|could you|would you|will you|i want you to|help me|go ahead and|now|and|then|also|et|puis|y|luego|und|dann)\s+)` +
    String.raw`(?:draw|sketch|paint|illustrate|doodle|dessine|dessinez|peins|illustre|dibuja|dibújame|pinta|ilustra|zeichne|male|skizziere|illustriere|disegna)\b` +
    String.raw`(?!\s+(?:up|out|on|from|upon|in|attention|conclusions?|a conclusion|the line|lessons?|comparisons?|parallels?|inspiration|blood|breath)\b)`,
  'iu',
);

/** A making / showing verb whose object, within a few words, is an image. */
const MAKE_IMAGE = new RegExp(
  String.raw`\b(?:generate|create|make|produce|design|render|craft|give me|show me|i need|i want|i'd like|get me|send me|` +
    String.raw`génère|générer|crée|créer|fais|genera|generar|crea|crear|haz|erstelle|erstellen|generiere|mach|crea|genera)\b` +
    String.raw`(?:\s+\S+){0,5}?\s+${IMAGE_NOUNS}\b`,
  'iu',
);

/** Chinese requests to draw or to generate a picture. */
const ZH_IMAGE =
  /(?:帮我画|请画|画一|画个|画张|画幅|给我画|生成.{0,12}(?:图片|图像|插图|图|照片)|做.{0,6}(?:图片|海报|标志|图标))/u;

/** A prompt that opens with the image it wants: "an oil painting of …", "photo of …", "a logo for …". */
const IMAGE_FIRST = new RegExp(
  String.raw`^\s*(?:a|an|the)?\s*(?:[\w-]+\s+){0,2}?${IMAGE_NOUNS}\s+(?:of|for|showing|depicting|with)\b`,
  'iu',
);

/** An image requested alongside another deliverable: "… with an illustration", "include an image". */
const WITH_IMAGE = new RegExp(
  String.raw`\b(?:with|include|including|includes|plus|add|attach|and)\s+(?:an?\s+|some\s+|\d+\s+)?(?:[\w-]+\s+){0,2}?` +
    String.raw`(?:images?|pictures?|illustrations?|drawings?|diagrams?)\b(?!\s+(?:compression|processing|format|file|recognition|classification)\b)`,
  'iu',
);

/** Asks for text: writing, explaining, describing, answering. */
const TEXT_REQUEST = new RegExp(
  String.raw`\b(?:write|explain|describe|tell me|summari[sz]e|list|compose|outline|teach me|give me (?:a|an|the|some) (?:recipe|story|poem|summary|description|explanation|overview|list)|` +
    'what|why|how|who|when|where|' +
    String.raw`écris|écrivez|explique|décris|escribe|explica|describe|cuéntame|schreibe|erkläre|beschreibe|scrivi|spiega)\b|写|解释|描述|介绍`,
  'iu',
);

/** Any image noun at all: without one, only a drawing verb or a Chinese cue can ask for an image. */
const ANY_IMAGE_NOUN = new RegExp(String.raw`\b${IMAGE_NOUNS}\b`, 'iu');

function imageCue(text: string): ModalityResult['cue'] | undefined {
  if (DRAW_REQUEST.test(text)) return 'draw-verb';
  if (ZH_IMAGE.test(text)) return 'make-image';
  if (!ANY_IMAGE_NOUN.test(text)) return undefined;
  if (MAKE_IMAGE.test(text)) return 'make-image';
  if (IMAGE_FIRST.test(text)) return 'image-first';
  return undefined;
}

/** Characters read from the start and from the end of a long message: an image ask opens or closes a request. */
export const MODALITY_HEAD_CHARS = 4096;
export const MODALITY_TAIL_CHARS = 2048;

/** Classifies one user message (a long one by its first 4K and last 2K characters). */
export function detectModality(message: string): ModalityResult {
  if (message.trim() === '') return { modality: 'AR', confidence: 1, cue: 'empty' };
  const text = headAndTail(message, MODALITY_HEAD_CHARS, MODALITY_TAIL_CHARS);
  const cue = imageCue(text);
  if (cue === undefined) {
    // "Explain X with a diagram" asks for both even without a making verb.
    if (WITH_IMAGE.test(text) && TEXT_REQUEST.test(text))
      return { modality: 'BOTH', confidence: 0.75, cue: 'with-image' };
    return { modality: 'AR', confidence: 0.8, cue: 'none' };
  }
  if (asksForTextToo(text)) return { modality: 'BOTH', confidence: 0.75, cue };
  return { modality: 'DIFFUSION', confidence: 0.8, cue };
}

/**
 * A text ask in a clause of its own: the text minus its image clause still asks for writing or explaining ("write a
 * story and illustrate it"), rather than only describing the image ("draw a cat that explains …" stays DIFFUSION).
 */
function asksForTextToo(text: string): boolean {
  const clauses = text.split(/\s*(?:,|;|\band\b|\bthen\b|\bplus\b|\bet\b|\by\b|\bund\b|和|并且|然后)\s*/iu);
  if (clauses.length < 2) return false;
  const textClauses = clauses.filter((clause) => imageCue(clause) === undefined && !WITH_IMAGE.test(clause));
  const imageClauses = clauses.length - textClauses.length;
  return imageClauses > 0 && textClauses.some((clause) => TEXT_REQUEST.test(clause) && /^\s*\S/.test(clause));
}
