ALTER VSCHEMA ON `commerce`.`email_job` ADD VINDEX `hash`(`id`) USING `hash`;

CREATE TABLE `commerce`.`email_job` (
  `id` bigint NOT NULL,
  `priority` tinyint NOT NULL DEFAULT '50',
  `epoch` bigint NOT NULL DEFAULT '0',
  `time_next` bigint NULL DEFAULT '0',
  `time_acked` bigint NULL,
  `failure_reason` text NULL,
  `enqueued_at` bigint NULL,
  `failed_at` bigint NULL,
  `recipient` varchar(320) NOT NULL,
  `subject` varchar(200) NOT NULL,
  `body` json NULL,
  PRIMARY KEY (`id`),
  INDEX `poller_idx` (`time_acked`, `priority`, `time_next` DESC),
  INDEX `idx_email_job_recipient` (`recipient`)
) COMMENT='vitess_message,vt_ack_wait=60,vt_purge_after=86400,vt_batch_size=500,vt_cache_size=10000,vt_poller_interval=1,vt_max_backoff=3600,vt_message_cols=id|epoch|recipient|subject|body';
