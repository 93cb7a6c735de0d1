export { issue } from './issue';
export type { ChallengeRef, ChallengeStatus, ChallengeView } from './settle';
export { readChallenge, settle, subjectKeyOf } from './settle';
export type * from './types';
export { verify } from './verify';
