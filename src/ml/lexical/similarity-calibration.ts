// Maps a model's raw cosine similarity onto the scale vLLM Semantic Router's thresholds are written in, by
// piecewise-linear interpolation between measured anchors (raw similarity → calibrated similarity).

export interface CalibrationAnchor {
  readonly raw: number;
  readonly calibrated: number;
}

/** A monotone map through (0, 0), the anchors and (1, 1); anchors must increase in both coordinates. */
export function similarityCalibration(anchors: readonly CalibrationAnchor[]): (raw: number) => number {
  const points = [{ raw: 0, calibrated: 0 }, ...anchors, { raw: 1, calibrated: 1 }];
  for (let i = 1; i < points.length; i++) {
    const previous = points[i - 1] as CalibrationAnchor;
    const point = points[i] as CalibrationAnchor;
    if (!(point.raw > previous.raw && point.calibrated >= previous.calibrated))
      throw new Error('calibration anchors must increase strictly in raw and not decrease in calibrated');
  }
  return (raw) => {
    if (!Number.isFinite(raw) || raw <= 0) return 0;
    if (raw >= 1) return 1;
    for (let i = 1; i < points.length; i++) {
      const upper = points[i] as CalibrationAnchor;
      if (raw <= upper.raw) {
        const lower = points[i - 1] as CalibrationAnchor;
        const t = (raw - lower.raw) / (upper.raw - lower.raw);
        return lower.calibrated + t * (upper.calibrated - lower.calibrated);
      }
    }
    return 1;
  };
}
