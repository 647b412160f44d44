// The shape of a controller as the composition root sees it. A controller
// registers its informer handlers in its constructor (before the informer
// starts), may start timers in start(), and stops everything in stop().

export interface Controller {
  readonly name: string;
  start?(): void;
  stop(): void;
}
