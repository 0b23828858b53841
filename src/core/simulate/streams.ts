/**
 * Independent random streams of one simulation. Each purpose draws from its own generator (per day where it applies),
 * so changing one knob leaves the others' data unchanged: a different label rate keeps the same transactions, more
 * days keep the first days. Values are part of the data's identity: never renumber, only append.
 */
export const Stream = {
  Profiles: 1,
  Traffic: 2,
  Compromise: 3,
  CardAbuse: 4,
  Labels: 5,
  Hostile: 6,
} as const;
export type Stream = (typeof Stream)[keyof typeof Stream];
