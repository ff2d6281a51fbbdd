// Tests never read a developer's .env; each app they start gets its settings explicitly.
process.env.NODE_ENV = 'test';
