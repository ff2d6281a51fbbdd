// WeChat mini-game transport: filled in by the WeChat adapter work.
export {};
