// Cues of the `fact_check` heuristic (fact-check.ts). Data only. Patterns run on the turn's first
// FACT_CHECK_SCAN_CHARS characters; case-insensitive unless noted.

/** Requests that produce rather than assert: creative writing, opinions, code, chit-chat, rewriting, arithmetic. */
export const NO_FACT_CHECK_CUES: readonly RegExp[] = [
  /^(?:please |can you |could you |would you |i want you to |help me )?(?:write|compose|draft|create|generate|imagine|invent|design|brainstorm|pretend|role-?play|make up|come up with|suggest|rewrite|paraphrase|rephrase|proofread|translate|summari[sz]e|edit|continue|complete|fix|implement|refactor|debug|solve|calculate|compute|simplify|convert|sort|list some ideas)\b/i,
  /\b(?:poem|poems|haiku|limerick|story|stories|song|lyrics|novel|fiction|fictional|screenplay|joke|jokes|riddle|slogan|tagline|rap|sonnet|fairy tale|cover letter|birthday message|toast)\b/i,
  /\b(?:python|javascript|typescript|java|c\+\+|c#|rust|golang|sql|regex|html|css|bash|function|code|script|program|algorithm|compile|compiler|stack trace|bug|api|json|yaml|docker)\b/i,
  /\b(?:what do you think|your (?:opinion|favou?rite|thoughts|view)|do you (?:like|prefer|enjoy|love|hate)|would you rather|in your view|should i|which is better)\b/i,
  /^(?:hi|hello|hey|yo|good (?:morning|afternoon|evening|night)|how are you|how's it going|what's up|bye|goodbye|see you|thanks|thank you)\b/i,
  /\b(?:are you (?:a )?(?:bot|robot|human|real|ai)|tell me (?:a joke|something funny)|what can (?:i|you)|how (?:are|have) (?:you|things))\b/i,
  /\b(?:are|were|do|did|have) you (?:from|live|come from|work|old|have|like|enjoy|do for fun|a )|\byour (?:name|age|boss|employer|company|creator|maker|hobbies|hobby|pets?|origin|favou?rite)\b|\b(?:made|created|built|programmed|designed|trained|owns?) you\b|\bhow old\b.*\byou\b/i,
  /\b(?:meaning|purpose|point) (?:of|to|in) (?:life|existence|exsistance|sentience|creation|my life|this life|it all)\b|\blife(?:'s|s| have| hold)? (?:a |any )?(?:meaning|purpose)\b|\bwhy (?:are we|do you think we're) here\b/i,
  /^\s*[\d\s.+\-*/^()=x]+\??\s*$/i,
];

/** Questions after a fact: who, when, where, which, how many, did …, is it true … */
export const FACTOID_QUESTION =
  /^(?:(?:and|so|ok|okay|also|but|hey|tell me|do you know|i wonder) )?(?:who|whom|whose|when|where|which|what|how (?:many|much|long|old|far|big|tall|high|deep|fast|did|does|was|were|is|are)|why (?:did|does|do|is|was|are|were)|is it true|was|were|did|is|are|does|has|have|had|name|list|give me the|according to)\b/i;

/** Topics whose answers are checkable facts that are costly to get wrong: history, law, health, science, money. */
export const FACTUAL_TOPIC =
  /\b(?:history|historical|histor\w+|century|centuries|ancient|war|battle|treaty|empire|dynasty|revolution|president|prime minister|king|queen|emperor|government|election|founded|invented|discovered|born|died|capital|population|country|countries|city|located|continent|law|laws|legal|illegal|court|judge|statute|constitution|constitutional|rights|contract|lawsuit|liable|liability|medical|medicine|disease|symptoms?|treatments?|dose|dosage|drugs?|medications?|diagnos\w+|doctor|patient|vaccines?|cancer|infection|clinical|therapy|surgery|pregnan\w+|blood|pain|chronic|study|studies|research|evidence|statistics?|percent|percentage|fact|facts|official|record|distance|temperature|chemical|element|planet|species|economy|inflation|gdp|tax|taxes|stock|interest rate)\b/i;

/** A year, a date-like number, or a capitalised name after the first word (case-sensitive). */
export const SPECIFIC_REFERENCE = /\b(?:1[0-9]{3}|20[0-9]{2})\b|(?<=\S\s+)(?:[A-Z][a-z]+)(?:\s+[A-Z][a-z]+)*/;

/** An exam-style stem that the answer completes ("Gastrulation is the process of"): a question without a mark. */
export const CLOZE_STEM =
  /\b(?:is|are|was|were|of|by|the|to|at|with|in|from|because|called|known as|due to)\s*[.:_]*\s*$/i;

export const FACT_CHECK_SCAN_CHARS = 2000;
