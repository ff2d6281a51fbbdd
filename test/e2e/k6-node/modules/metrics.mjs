import { counters, trends } from './registry.mjs';

export class Trend {
  constructor(name) {
    this.samples = [];
    trends.set(name, this.samples);
  }

  add(value) {
    this.samples.push(value);
  }
}

export class Counter {
  constructor(name) {
    this.name = name;
    counters.set(name, 0);
  }

  add(value) {
    counters.set(this.name, counters.get(this.name) + value);
  }
}
