// Phrase patterns of the `user_feedbacks` detector, per label of vLLM Semantic Router's feedback model. Data only:
// the detector (user-feedback.ts) tries the labels in FEEDBACK_LABELS order, first hit wins. Patterns run on the
// lower-cased turn with straight apostrophes and single spaces.

export const FEEDBACK_LABELS = ['wrong_answer', 'need_clarification', 'want_different', 'satisfied'] as const;
export type FeedbackLabel = (typeof FEEDBACK_LABELS)[number];

const SUBJECT = `(?:that|this|it|which|your (?:answer|response|solution|code|reply|explanation)|the (?:answer|response|solution|result|output))`;
const INTENSIFIER = `(?:(?:totally|completely|just|still|all|clearly|simply|definitely|actually|obviously|entirely) )?`;
const WRONG = `(?:wrong|incorrect|inaccurate|false|untrue|mistaken|not (?:correct|right|true|accurate))`;
const ARTEFACT = `(?:code|solution|fix|answer|function|script|command|query|formula|snippet|suggestion|example|program|method)`;

export const FEEDBACK_PHRASES: Readonly<Record<FeedbackLabel, readonly RegExp[]>> = {
  wrong_answer: [
    /^(?:wrong|incorrect|not correct|not right|not true|false)\b(?! now)/,
    new RegExp(
      String.raw`\b${SUBJECT}(?: one| part)?(?:'s| is| was| seems| looks| sounds| are)? ${INTENSIFIER}${WRONG}\b`,
    ),
    new RegExp(String.raw`\b(?:isn't|wasn't|aren't|ain't) ${INTENSIFIER}(?:correct|right|true|accurate)\b`),
    new RegExp(String.raw`\byou(?:'re| are| were)(?: still)? ${INTENSIFIER}(?:wrong|mistaken|incorrect)\b`),
    /\byou (?:got|have|had|get) (?:it|that|this|the \w+(?: \w+)?) (?:wrong|backwards|mixed up)\b/,
    /\byou (?:made|have made|make) (?:a|an|some) (?:mistake|error|typo)s?\b/,
    /\bthere(?:'s| is| are) (?:a |an |some )?(?:mistake|error|bug|typo)s? in (?:your|the|that|this) (?:answer|response|code|solution|reasoning|calculation|math|explanation)\b/,
    new RegExp(
      String.raw`\b${ARTEFACT}\b[^.?!]{0,40}\b(?:doesn't|does not|didn't|did not|won't|will not|isn't|is not) (?:work|working|compile|run)\b`,
    ),
    /\b(?:it|that|this)(?: still)? (?:doesn't|does not|didn't|did not|won't) (?:work|compile|run)\b/,
    /\b(?:throws|throw|gives|raises|returns|produces|outputs) (?:me )?(?:an? |the )?(?:error|exception|wrong \w+|incorrect \w+)\b/,
    /\b(?:wrong again|still wrong|still incorrect)\b/,
    /\b(?:doesn't|does not|don't|do not) (?:seem|look|sound) (?:right|correct|accurate)\b/,
    /\b(?:the )?(?:math|calculation|numbers?|date|year|figures?|result|count|total) (?:is|are|was|were) (?:off|wrong|incorrect)\b/,
  ],
  need_clarification: [
    /(?<!try to |should )\b(?:explain|elaborate on|clarify|expand on|break down|walk me through|simplify|unpack) (?:that|this|it|what you|the (?:last|first|second|third|previous|final) (?:part|point|step|bit|paragraph|sentence)|your (?:answer|point|response|explanation))\b/,
    /\b(?:explain|elaborate|clarify|expand|go)(?: (?:it|that|this))? (?:further|more|again|differently|step by step|in (?:more|greater) (?:detail|depth)|more simply|in simpler terms|like i'm (?:five|5|a child))\b/,
    /\b(?:elaborate|clarify|expand|rephrase)(?: please)?\s*[?.!]*$/,
    /\bbreak (?:that|this|it) down\b/,
    /\bwalk me through (?:it|that|this)\b/,
    /\b(?:go into|with|in) more (?:depth|detail)\b/,
    /\bwhat do(?:es)? you mean\b/,
    /\bwhat (?:does|did) (?:that|this|it) mean\b(?! to)/,
    /\bwhat is meant by\b/,
    /\bi (?:still )?(?:don't|do not|didn't|did not) (?:understand|get (?:it|that|this)|follow|see what)\b/,
    /\bnot sure i (?:understand|follow|get it)\b/,
    /\b(?:i'm|i am) (?:confused|lost|not following|not sure what you mean)\b/,
    /\b(?:that's|that is|this is|it's|it is) (?:a bit |very |quite |still )?(?:unclear|confusing|not clear)\b/,
    /\b(?:could|can|would) you be more (?:specific|precise|clear|detailed|concrete)\b/,
    /\b(?:give|show) me (?:an|a concrete|some) examples?\b/,
    /\b(?:plain english|simpler (?:terms|words|language))\b/,
  ],
  want_different: [
    /\b(?:a|an|some) (?:different|alternative) (?:answer|approach|way|option|version|example|idea|style|method|solution|one|recipe|suggestion|take|angle)s?\b/,
    /\b(?:give|show|suggest|offer|try|write|provide|tell) (?:me )?(?:an?other|something else|something different|some other|a few more) ?(?:one|way|option|idea|version|example|suggestion|alternative)?s?\b/,
    /\b(?:any|some|got any) (?:other|more) (?:ideas|options|suggestions|alternatives|examples|ways)\b/,
    /^(?:other|more) (?:ideas|options|suggestions|alternatives)\b/,
    /\b(?:an|any|some|other) alternatives?\b/,
    /\b(?:another way|other ways|something else|something different|different approach|another approach|different way)\b/,
    /\b(?:try|do|say|write|rewrite|put|phrase|redo) (?:it |that |this )?(?:again )?(?:in|with|using) (?:a |an )?(?:different|another|more \w+|less \w+|shorter|longer|simpler|formal|casual)\b/,
    /\btry again\b/,
    /\binstead\s*[?.!]*$/,
    /\b(?:don't|do not) (?:like|want) (?:that|this|it)(?: one)?\b/,
    /\bnot (?:quite |really |exactly )?what i (?:wanted|was looking for|had in mind|asked for)\b/,
    /\b(?:a )?new version\b/,
    /\bcome up with (?:a |an |some )?(?:new|different|another|other)\b/,
    /\b(?:rewrite|redo|reword) (?:it|that)\b/,
  ],
  satisfied: [
    /(?<!say |saying )\b(?:thanks|thank you|thank u|thx|ty|cheers|much appreciated|appreciate it)\b/,
    /^(?:perfect|great|awesome|excellent|brilliant|wonderful|nice|cool|amazing|fantastic|superb|got it|makes sense|that works|it works|it worked|that helps)\b/,
    /\b(?:that|this|it) (?:works|worked|helps|helped|fixed it|solved it|did the trick)\b/,
    /\b(?:that's|that is|you're|you are) (?:exactly )?(?:right|correct)\b/,
    /\b(?:very |really |super )?helpful\b/,
    /\bexactly what i (?:needed|wanted|was looking for)\b/,
    /\bmakes sense(?: now)?\b/,
    /\bi (?:understand|get it) now\b/,
    /\b(?:solved|fixed) (?:my|the) (?:problem|issue)\b/,
    /\b(?:this|that|it)(?:'s| is) (?:great|perfect|excellent|awesome|exactly it)\b/,
  ],
};

/** Only the start of a turn is read: feedback leads the message; a long turn is a new request. */
export const FEEDBACK_SCAN_CHARS = 300;
/** A turn of more words than this is never `satisfied`: thanks followed by a new ask is a new ask. */
export const SATISFIED_MAX_WORDS = 14;
