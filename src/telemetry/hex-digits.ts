// Hex digits of W3C trace and span ids, read by character code (the OTLP encoder's id bytes, the samplers' checks).

/** Value of each hex digit (either case) by character code below 128; -1 for anything else. */
export const HEX_DIGIT_VALUES = new Int8Array(128).fill(-1);
for (let digit = 0; digit < 16; digit++) {
  const text = digit.toString(16);
  HEX_DIGIT_VALUES[text.charCodeAt(0)] = digit;
  HEX_DIGIT_VALUES[text.toUpperCase().charCodeAt(0)] = digit;
}
