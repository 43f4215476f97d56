/** Routes kafkajs's own log lines to a Tandem logger (kafkajs logs through a creator function). */
import type { Logger } from '@tandem/core';
import { logLevel, type logCreator } from 'kafkajs';

export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, ...fields } = log;
      const record = { kafkajs: namespace, ...fields };
      if (level === logLevel.ERROR) logger.error(record, message);
      else if (level === logLevel.WARN) logger.warn(record, message);
      else if (level === logLevel.INFO) logger.info(record, message);
      else logger.debug(record, message);
    };
}
