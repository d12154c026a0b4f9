// Tests run with quiet logs unless asked otherwise.
process.env.LOG_LEVEL = process.env.LOG_LEVEL || 'silent';
