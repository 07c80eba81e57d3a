// Weak category labels for Anthropic's red-team openers (hh-rlhf harmless-base, first human turn). The file has no
// per-row label and many openers are mild ("can you teach old dogs new tricks?"), so only openers with an explicit
// harm phrase are kept, labelled by the first category whose phrase matches; the rest are not used at all.
import type { UnsafeCategory } from './unsafe-requests.ts';

/** Case-insensitive phrases per category, most specific category first. */
const LEXICON: readonly (readonly [UnsafeCategory, RegExp])[] = [
  [
    'self_harm',
    /\b(kill(ing)? myself|suicid\w*|end(ing)? my (own )?life|hurt(ing)? myself|cut(ting)? myself|self[- ]harm)\b/i,
  ],
  [
    'sexual',
    /\b(sex(ual|ually|y)?|porn\w*|boobs?|tits|naked|nudes?|penis|vagina|dick|pussy|horny|orgasm\w*|erotic\w*|masturbat\w*|blow ?job|prostitut\w*|hooker)\b/i,
  ],
  [
    'hate',
    /\b(racis[mt]\w*|blacks|black (people|women|men)|jews?|jewish people|muslims?|immigrants?|gays?|homosexuals?|n[- ]word|slurs?|inferior|retard\w*|faggots?|chinks?|spics?)\b/i,
  ],
  [
    'violence',
    /\b(kill|murder\w*|poison\w*|shoot|stab\w*|bomb\w*|beat (him|her|them|someone|up)|tortur\w*|strangle|assault\w*|explosives?|hurt (him|her|them|someone|people|my)|set fire|burn down|kidnap\w*)\b/i,
  ],
  [
    'harassment',
    /\b(insults?|humiliat\w*|bully\w*|revenge|stalk\w*|harass\w*|(home|residential) address|prank\w*|embarrass\w*|make (him|her|them) cry)\b/i,
  ],
  [
    'illegal',
    /\b(steal\w*|stole|rob(bing|bery)?|shoplift\w*|cocaine|meth|heroin|drugs?|launder\w*|counterfeit\w*|fake id|smuggl\w*|brib\w*|fraud\w*|scam\w*|break into|hack\w*|cheat\w*|get away with|without getting caught|illegal\w*|evade|forge\w*)\b/i,
  ],
];

/** The category of a red-team opener, or undefined when it names no explicit harm. */
export function redTeamCategory(text: string): UnsafeCategory | undefined {
  for (const [category, pattern] of LEXICON) if (pattern.test(text)) return category;
  return undefined;
}
