export { issue } from './issue';
export type * from './types';
export { verify } from './verify';
