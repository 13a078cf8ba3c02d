ALTER VSCHEMA ON `commerce`.`column_options` ADD VINDEX `hash`(`id`) USING `hash`;

CREATE TABLE `commerce`.`column_options` (
  `id` bigint NOT NULL,
  `priority` tinyint NOT NULL DEFAULT '50',
  `epoch` bigint NOT NULL DEFAULT '0',
  `time_next` bigint NULL DEFAULT '0',
  `time_acked` bigint NULL,
  `failure_reason` text NULL,
  `enqueued_at` bigint NULL,
  `failed_at` bigint NULL,
  `title` varchar(100) NOT NULL COMMENT 'who it''s for \\ C:\\path ''quoted'' ünï €',
  `body` text NOT NULL COMMENT 'the body',
  `quantity` int NOT NULL DEFAULT '1',
  `quantity_doubled` int AS (quantity * 2) VIRTUAL NOT NULL,
  `title_upper` varchar(100) AS (upper(`title`)) STORED NULL COMMENT 'stored',
  `code` varchar(20) CHARACTER SET latin1 COLLATE latin1_general_cs NOT NULL,
  `updated_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (`id`),
  INDEX `poller_idx` (`time_acked`, `priority`, `time_next` DESC),
  FULLTEXT INDEX `ft_column_options_title` (`title`) WITH PARSER `ngram`,
  FULLTEXT INDEX `ft_column_options_body` (`body`),
  UNIQUE INDEX `IDX_b4445cd6773d65dc35e2c55aa0` (`code`)
) COMMENT='vitess_message,vt_ack_wait=1,vt_purge_after=86400,vt_batch_size=100,vt_cache_size=10000,vt_poller_interval=0.5,vt_min_backoff=0.5,vt_max_backoff=3600,vt_message_cols=id|epoch|title|body|quantity|quantity_doubled|title_upper|code|updated_at';
