-- A SQLite store as the release of issue 14 (schema 12) left it: three
-- runs of the built-in Build New Feature, checkpoints in the v1 msgpack
-- envelope without checksums; two completed, one running with three of
-- its five steps done. (Written by `hishamos run`, then migration 13
-- undone: schema 12 and the v1 codec are what that release ran.)
-- Never regenerate it: a change of encoding must keep reading it.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);
INSERT INTO schema_migrations VALUES(1,'0001_initial',1796312554520);
INSERT INTO schema_migrations VALUES(2,'0002_task_results',1796312554520);
INSERT INTO schema_migrations VALUES(3,'0003_workflows',1796312554521);
INSERT INTO schema_migrations VALUES(4,'0004_audit_logs',1796312554521);
INSERT INTO schema_migrations VALUES(5,'0005_routing',1796312554522);
INSERT INTO schema_migrations VALUES(6,'0006_agent_stats_per_node',1796312554523);
INSERT INTO schema_migrations VALUES(7,'0007_template_versions',1796312554524);
INSERT INTO schema_migrations VALUES(8,'0008_cost_ledger',1796312554525);
INSERT INTO schema_migrations VALUES(9,'0009_api',1796312554527);
INSERT INTO schema_migrations VALUES(10,'0010_auth',1796312554528);
INSERT INTO schema_migrations VALUES(11,'0011_audit_chain',1796312554529);
INSERT INTO schema_migrations VALUES(12,'0012_secrets',1796312554529);
CREATE TABLE workflow_executions (
  id            TEXT PRIMARY KEY,
  workflow_name TEXT NOT NULL,
  definition    TEXT NOT NULL,
  input         TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('pending', 'running', 'paused',
                                               'completed', 'failed', 'cancelled')),
  owner_node    TEXT,
  epoch         INTEGER NOT NULL DEFAULT 1,
  output        TEXT,
  error         TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
, budget_approved_until REAL NOT NULL DEFAULT 0, idempotency_key TEXT, workflow_version INTEGER NOT NULL DEFAULT 1, department TEXT NOT NULL DEFAULT '');
INSERT INTO workflow_executions VALUES('a11a0e19295ffe64bd39f001c336d117','Build New Feature','{"department":"engineering","description":"Complete feature development workflow","inputs":{"feature":{"required":true,"type":"string"}},"max_concurrency":0,"name":"Build New Feature","priority":0,"steps":[{"agent_id":"agent_cto_001","command_template_id":"cmd_design_architecture","id":"design","name":"Design Architecture","params":{"feature":"{{inputs.feature}}"},"retry":{"backoff_ms":500,"max_attempts":1,"max_backoff_ms":30000},"timeout_ms":0},{"agent":{"capabilities":["backend"],"department":"engineering"},"command_template_id":"cmd_implement_backend","depends_on":["design"],"id":"backend","name":"Implement Backend","params":{"design":"{{steps.design.output}}"},"retry":{"backoff_ms":500,"max_attempts":3,"max_backoff_ms":30000},"timeout_ms":120000},{"agent":{"capabilities":["frontend"],"department":"engineering"},"command_template_id":"cmd_implement_frontend","depends_on":["design"],"id":"frontend","name":"Implement Frontend","params":{"design":"{{steps.design.output}}"},"retry":{"backoff_ms":500,"max_attempts":3,"max_backoff_ms":30000},"timeout_ms":120000},{"agent_id":"agent_reviewer_001","command_template_id":"cmd_review_code","depends_on":["backend","frontend"],"id":"review","name":"Review","params":{"backend":"{{steps.backend.output}}","frontend":"{{steps.frontend.output}}"},"retry":{"backoff_ms":500,"max_attempts":1,"max_backoff_ms":30000},"timeout_ms":0},{"agent":{"capabilities":["deployment"],"department":"operations"},"command_template_id":"cmd_deployment_plan","depends_on":["review"],"id":"deploy_plan","name":"Deployment Plan","params":{"feature":"{{inputs.feature}}","review":"{{steps.review.output}}"},"retry":{"backoff_ms":500,"max_attempts":1,"max_backoff_ms":30000},"timeout_ms":0}],"trigger_type":"manual","version":1}','{"feature":"golden1"}','completed','n1',1,'{"deploy_plan":"> Written by HishamOS''s built-in local provider for agent agent_devops_001: no language model produced this text.\n\nTask: Write a deployment plan for golden1 given this review:\n\n## Rollout\nRollout for prompt 93aaf6e1d87d11fa.\n\n## Monitoring\nMonitoring for prompt 93aaf6e1d87d11fa.\n\n## Rollback\nRollback for prompt 93aaf6e1d87d11fa.\n"}','',1796312554534,1796312556244,0.0,NULL,1,'engineering');
INSERT INTO workflow_executions VALUES('c95d4828a73be27c2a588c342bb52a4e','Build New Feature','{"department":"engineering","description":"Complete feature development workflow","inputs":{"feature":{"required":true,"type":"string"}},"max_concurrency":0,"name":"Build New Feature","priority":0,"steps":[{"agent_id":"agent_cto_001","command_template_id":"cmd_design_architecture","id":"design","name":"Design Architecture","params":{"feature":"{{inputs.feature}}"},"retry":{"backoff_ms":500,"max_attempts":1,"max_backoff_ms":30000},"timeout_ms":0},{"agent":{"capabilities":["backend"],"department":"engineering"},"command_template_id":"cmd_implement_backend","depends_on":["design"],"id":"backend","name":"Implement Backend","params":{"design":"{{steps.design.output}}"},"retry":{"backoff_ms":500,"max_attempts":3,"max_backoff_ms":30000},"timeout_ms":120000},{"agent":{"capabilities":["frontend"],"department":"engineering"},"command_template_id":"cmd_implement_frontend","depends_on":["design"],"id":"frontend","name":"Implement Frontend","params":{"design":"{{steps.design.output}}"},"retry":{"backoff_ms":500,"max_attempts":3,"max_backoff_ms":30000},"timeout_ms":120000},{"agent_id":"agent_reviewer_001","command_template_id":"cmd_review_code","depends_on":["backend","frontend"],"id":"review","name":"Review","params":{"backend":"{{steps.backend.output}}","frontend":"{{steps.frontend.output}}"},"retry":{"backoff_ms":500,"max_attempts":1,"max_backoff_ms":30000},"timeout_ms":0},{"agent":{"capabilities":["deployment"],"department":"operations"},"command_template_id":"cmd_deployment_plan","depends_on":["review"],"id":"deploy_plan","name":"Deployment Plan","params":{"feature":"{{inputs.feature}}","review":"{{steps.review.output}}"},"retry":{"backoff_ms":500,"max_attempts":1,"max_backoff_ms":30000},"timeout_ms":0}],"trigger_type":"manual","version":1}','{"feature":"golden2"}','completed','n1',1,'{"deploy_plan":"> Written by HishamOS''s built-in local provider for agent agent_devops_001: no language model produced this text.\n\nTask: Write a deployment plan for golden2 given this review:\n\n## Rollout\nRollout for prompt d8e8469fdee20797.\n\n## Monitoring\nMonitoring for prompt d8e8469fdee20797.\n\n## Rollback\nRollback for prompt d8e8469fdee20797.\n"}','',1796312556287,1796312557998,0.0,NULL,1,'engineering');
INSERT INTO workflow_executions VALUES('939e3a609b34547c8665730aa4d5221b','Build New Feature','{"department":"engineering","description":"Complete feature development workflow","inputs":{"feature":{"required":true,"type":"string"}},"max_concurrency":0,"name":"Build New Feature","priority":0,"steps":[{"agent_id":"agent_cto_001","command_template_id":"cmd_design_architecture","id":"design","name":"Design Architecture","params":{"feature":"{{inputs.feature}}"},"retry":{"backoff_ms":500,"max_attempts":1,"max_backoff_ms":30000},"timeout_ms":0},{"agent":{"capabilities":["backend"],"department":"engineering"},"command_template_id":"cmd_implement_backend","depends_on":["design"],"id":"backend","name":"Implement Backend","params":{"design":"{{steps.design.output}}"},"retry":{"backoff_ms":500,"max_attempts":3,"max_backoff_ms":30000},"timeout_ms":120000},{"agent":{"capabilities":["frontend"],"department":"engineering"},"command_template_id":"cmd_implement_frontend","depends_on":["design"],"id":"frontend","name":"Implement Frontend","params":{"design":"{{steps.design.output}}"},"retry":{"backoff_ms":500,"max_attempts":3,"max_backoff_ms":30000},"timeout_ms":120000},{"agent_id":"agent_reviewer_001","command_template_id":"cmd_review_code","depends_on":["backend","frontend"],"id":"review","name":"Review","params":{"backend":"{{steps.backend.output}}","frontend":"{{steps.frontend.output}}"},"retry":{"backoff_ms":500,"max_attempts":1,"max_backoff_ms":30000},"timeout_ms":0},{"agent":{"capabilities":["deployment"],"department":"operations"},"command_template_id":"cmd_deployment_plan","depends_on":["review"],"id":"deploy_plan","name":"Deployment Plan","params":{"feature":"{{inputs.feature}}","review":"{{steps.review.output}}"},"retry":{"backoff_ms":500,"max_attempts":1,"max_backoff_ms":30000},"timeout_ms":0}],"trigger_type":"manual","version":1}','{"feature":"golden3"}','running','n1',1,'','',1796312558036,1796312559745,0.0,NULL,1,'engineering');
CREATE TABLE execution_steps (
  execution_id TEXT NOT NULL REFERENCES workflow_executions (id),
  step_id      TEXT NOT NULL,
  attempt      INTEGER NOT NULL,
  epoch        INTEGER NOT NULL,
  output       BLOB NOT NULL,
  agent_id     TEXT NOT NULL,
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER NOT NULL, cost REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (execution_id, step_id)
);
INSERT INTO execution_steps VALUES('a11a0e19295ffe64bd39f001c336d117','design',1,1,X'82a17601a66f7574707574da01453e205772697474656e2062792048697368616d4f532773206275696c742d696e206c6f63616c2070726f766964657220666f72206167656e74206167656e745f63746f5f3030313a206e6f206c616e6775616765206d6f64656c2070726f6475636564207468697320746578742e0a0a5461736b3a2044657369676e207468652061726368697465637475726520666f7220676f6c64656e312e20436f6e73747261696e74733a206e6f6e652e0a0a2323204f766572766965770a4f7665727669657720666f722070726f6d707420313865306165666537313732363761382e0a0a232320436f6d706f6e656e74730a436f6d706f6e656e747320666f722070726f6d707420313865306165666537313732363761382e0a0a2323205269736b730a5269736b7320666f722070726f6d707420313865306165666537313732363761382e0a','agent_cto_001',1796312554536,1796312554936,0.0);
INSERT INTO execution_steps VALUES('a11a0e19295ffe64bd39f001c336d117','frontend',1,1,X'82a17601a66f7574707574da01443e205772697474656e2062792048697368616d4f532773206275696c742d696e206c6f63616c2070726f766964657220666f72206167656e74206167656e745f66726f6e74656e645f3030313a206e6f206c616e6775616765206d6f64656c2070726f6475636564207468697320746578742e0a0a5461736b3a20496d706c656d656e7420746865207573657220696e7465726661636520666f6c6c6f77696e6720746869732064657369676e3a0a0a23232053637265656e730a53637265656e7320666f722070726f6d707420343761376162613863663037303961342e0a0a232320436f6d706f6e656e74730a436f6d706f6e656e747320666f722070726f6d707420343761376162613863663037303961342e0a0a23232054657374730a546573747320666f722070726f6d707420343761376162613863663037303961342e0a','agent_frontend_001',1796312554938,1796312555539,0.0);
INSERT INTO execution_steps VALUES('a11a0e19295ffe64bd39f001c336d117','backend',1,1,X'82a17601a66f7574707574da013b3e205772697474656e2062792048697368616d4f532773206275696c742d696e206c6f63616c2070726f766964657220666f72206167656e74206167656e745f6261636b656e645f3030313a206e6f206c616e6775616765206d6f64656c2070726f6475636564207468697320746578742e0a0a5461736b3a20496d706c656d656e7420746865206261636b656e6420696e20432b2b20666f6c6c6f77696e6720746869732064657369676e3a0a0a2323204150490a41504920666f722070726f6d707420323539366464343532643131386463302e0a0a23232044617461206d6f64656c0a44617461206d6f64656c20666f722070726f6d707420323539366464343532643131386463302e0a0a23232054657374730a546573747320666f722070726f6d707420323539366464343532643131386463302e0a','agent_backend_001',1796312554938,1796312555639,0.0);
INSERT INTO execution_steps VALUES('a11a0e19295ffe64bd39f001c336d117','review',1,1,X'82a17601a66f7574707574da01173e205772697474656e2062792048697368616d4f532773206275696c742d696e206c6f63616c2070726f766964657220666f72206167656e74206167656e745f72657669657765725f3030313a206e6f206c616e6775616765206d6f64656c2070726f6475636564207468697320746578742e0a0a5461736b3a205265766965772074686973206368616e676520666f7220636f72726563746e6573732c20736563757269747920616e64207374796c652e0a0a23232046696e64696e67730a46696e64696e677320666f722070726f6d707420623266613939633865383265633261362e0a0a232320566572646963740a5665726469637420666f722070726f6d707420623266613939633865383265633261362e0a','agent_reviewer_001',1796312555640,1796312555941,0.0);
INSERT INTO execution_steps VALUES('a11a0e19295ffe64bd39f001c336d117','deploy_plan',1,1,X'82a17601a66f7574707574da014b3e205772697474656e2062792048697368616d4f532773206275696c742d696e206c6f63616c2070726f766964657220666f72206167656e74206167656e745f6465766f70735f3030313a206e6f206c616e6775616765206d6f64656c2070726f6475636564207468697320746578742e0a0a5461736b3a2057726974652061206465706c6f796d656e7420706c616e20666f7220676f6c64656e3120676976656e2074686973207265766965773a0a0a232320526f6c6c6f75740a526f6c6c6f757420666f722070726f6d707420393361616636653164383764313166612e0a0a2323204d6f6e69746f72696e670a4d6f6e69746f72696e6720666f722070726f6d707420393361616636653164383764313166612e0a0a232320526f6c6c6261636b0a526f6c6c6261636b20666f722070726f6d707420393361616636653164383764313166612e0a','agent_devops_001',1796312555942,1796312556242,0.0);
INSERT INTO execution_steps VALUES('c95d4828a73be27c2a588c342bb52a4e','design',1,1,X'82a17601a66f7574707574da01453e205772697474656e2062792048697368616d4f532773206275696c742d696e206c6f63616c2070726f766964657220666f72206167656e74206167656e745f63746f5f3030313a206e6f206c616e6775616765206d6f64656c2070726f6475636564207468697320746578742e0a0a5461736b3a2044657369676e207468652061726368697465637475726520666f7220676f6c64656e322e20436f6e73747261696e74733a206e6f6e652e0a0a2323204f766572766965770a4f7665727669657720666f722070726f6d707420646666306564353231346362303235372e0a0a232320436f6d706f6e656e74730a436f6d706f6e656e747320666f722070726f6d707420646666306564353231346362303235372e0a0a2323205269736b730a5269736b7320666f722070726f6d707420646666306564353231346362303235372e0a','agent_cto_001',1796312556289,1796312556690,0.0);
INSERT INTO execution_steps VALUES('c95d4828a73be27c2a588c342bb52a4e','frontend',1,1,X'82a17601a66f7574707574da01443e205772697474656e2062792048697368616d4f532773206275696c742d696e206c6f63616c2070726f766964657220666f72206167656e74206167656e745f66726f6e74656e645f3030313a206e6f206c616e6775616765206d6f64656c2070726f6475636564207468697320746578742e0a0a5461736b3a20496d706c656d656e7420746865207573657220696e7465726661636520666f6c6c6f77696e6720746869732064657369676e3a0a0a23232053637265656e730a53637265656e7320666f722070726f6d707420363435346262663338346364376131332e0a0a232320436f6d706f6e656e74730a436f6d706f6e656e747320666f722070726f6d707420363435346262663338346364376131332e0a0a23232054657374730a546573747320666f722070726f6d707420363435346262663338346364376131332e0a','agent_frontend_001',1796312556692,1796312557292,0.0);
INSERT INTO execution_steps VALUES('c95d4828a73be27c2a588c342bb52a4e','backend',1,1,X'82a17601a66f7574707574da013b3e205772697474656e2062792048697368616d4f532773206275696c742d696e206c6f63616c2070726f766964657220666f72206167656e74206167656e745f6261636b656e645f3030313a206e6f206c616e6775616765206d6f64656c2070726f6475636564207468697320746578742e0a0a5461736b3a20496d706c656d656e7420746865206261636b656e6420696e20432b2b20666f6c6c6f77696e6720746869732064657369676e3a0a0a2323204150490a41504920666f722070726f6d707420363466373762313239386464666437372e0a0a23232044617461206d6f64656c0a44617461206d6f64656c20666f722070726f6d707420363466373762313239386464666437372e0a0a23232054657374730a546573747320666f722070726f6d707420363466373762313239386464666437372e0a','agent_backend_001',1796312556692,1796312557392,0.0);
INSERT INTO execution_steps VALUES('c95d4828a73be27c2a588c342bb52a4e','review',1,1,X'82a17601a66f7574707574da01173e205772697474656e2062792048697368616d4f532773206275696c742d696e206c6f63616c2070726f766964657220666f72206167656e74206167656e745f72657669657765725f3030313a206e6f206c616e6775616765206d6f64656c2070726f6475636564207468697320746578742e0a0a5461736b3a205265766965772074686973206368616e676520666f7220636f72726563746e6573732c20736563757269747920616e64207374796c652e0a0a23232046696e64696e67730a46696e64696e677320666f722070726f6d707420353662356139333031616666306663342e0a0a232320566572646963740a5665726469637420666f722070726f6d707420353662356139333031616666306663342e0a','agent_reviewer_001',1796312557394,1796312557694,0.0);
INSERT INTO execution_steps VALUES('c95d4828a73be27c2a588c342bb52a4e','deploy_plan',1,1,X'82a17601a66f7574707574da014b3e205772697474656e2062792048697368616d4f532773206275696c742d696e206c6f63616c2070726f766964657220666f72206167656e74206167656e745f6465766f70735f3030313a206e6f206c616e6775616765206d6f64656c2070726f6475636564207468697320746578742e0a0a5461736b3a2057726974652061206465706c6f796d656e7420706c616e20666f7220676f6c64656e3220676976656e2074686973207265766965773a0a0a232320526f6c6c6f75740a526f6c6c6f757420666f722070726f6d707420643865383436396664656532303739372e0a0a2323204d6f6e69746f72696e670a4d6f6e69746f72696e6720666f722070726f6d707420643865383436396664656532303739372e0a0a232320526f6c6c6261636b0a526f6c6c6261636b20666f722070726f6d707420643865383436396664656532303739372e0a','agent_devops_001',1796312557695,1796312557996,0.0);
INSERT INTO execution_steps VALUES('939e3a609b34547c8665730aa4d5221b','design',1,1,X'82a17601a66f7574707574da01453e205772697474656e2062792048697368616d4f532773206275696c742d696e206c6f63616c2070726f766964657220666f72206167656e74206167656e745f63746f5f3030313a206e6f206c616e6775616765206d6f64656c2070726f6475636564207468697320746578742e0a0a5461736b3a2044657369676e207468652061726368697465637475726520666f7220676f6c64656e332e20436f6e73747261696e74733a206e6f6e652e0a0a2323204f766572766965770a4f7665727669657720666f722070726f6d707420303966653638333636383966643962652e0a0a232320436f6d706f6e656e74730a436f6d706f6e656e747320666f722070726f6d707420303966653638333636383966643962652e0a0a2323205269736b730a5269736b7320666f722070726f6d707420303966653638333636383966643962652e0a','agent_cto_001',1796312558038,1796312558438,0.0);
INSERT INTO execution_steps VALUES('939e3a609b34547c8665730aa4d5221b','frontend',1,1,X'82a17601a66f7574707574da01443e205772697474656e2062792048697368616d4f532773206275696c742d696e206c6f63616c2070726f766964657220666f72206167656e74206167656e745f66726f6e74656e645f3030313a206e6f206c616e6775616765206d6f64656c2070726f6475636564207468697320746578742e0a0a5461736b3a20496d706c656d656e7420746865207573657220696e7465726661636520666f6c6c6f77696e6720746869732064657369676e3a0a0a23232053637265656e730a53637265656e7320666f722070726f6d707420653834313164393934653963383462382e0a0a232320436f6d706f6e656e74730a436f6d706f6e656e747320666f722070726f6d707420653834313164393934653963383462382e0a0a23232054657374730a546573747320666f722070726f6d707420653834313164393934653963383462382e0a','agent_frontend_001',1796312558440,1796312559041,0.0);
INSERT INTO execution_steps VALUES('939e3a609b34547c8665730aa4d5221b','backend',1,1,X'82a17601a66f7574707574da013b3e205772697474656e2062792048697368616d4f532773206275696c742d696e206c6f63616c2070726f766964657220666f72206167656e74206167656e745f6261636b656e645f3030313a206e6f206c616e6775616765206d6f64656c2070726f6475636564207468697320746578742e0a0a5461736b3a20496d706c656d656e7420746865206261636b656e6420696e20432b2b20666f6c6c6f77696e6720746869732064657369676e3a0a0a2323204150490a41504920666f722070726f6d707420336630313032323964636536363730342e0a0a23232044617461206d6f64656c0a44617461206d6f64656c20666f722070726f6d707420336630313032323964636536363730342e0a0a23232054657374730a546573747320666f722070726f6d707420336630313032323964636536363730342e0a','agent_backend_001',1796312558440,1796312559141,0.0);
CREATE TABLE task_results (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  execution_id  TEXT NOT NULL,
  step_id       TEXT NOT NULL,
  agent_id      TEXT NOT NULL,
  quality_score REAL,
  cost          REAL NOT NULL DEFAULT 0,
  tokens_in     INTEGER NOT NULL DEFAULT 0,
  tokens_out    INTEGER NOT NULL DEFAULT 0,
  latency_ms    INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL
, decision TEXT, template_version INTEGER, tokens_cached INTEGER NOT NULL DEFAULT 0, cost_avoided REAL NOT NULL DEFAULT 0, provider TEXT NOT NULL DEFAULT '', model TEXT NOT NULL DEFAULT '', workflow TEXT NOT NULL DEFAULT '', department TEXT NOT NULL DEFAULT '');
INSERT INTO task_results VALUES(1,'a11a0e19295ffe64bd39f001c336d117','design','agent_cto_001',1.0,0.0,14,82,400,1796312554936,'{"candidate_count":1,"candidates":[{"agent":"agent_cto_001","capability_match":1.0,"free_share":1.0,"latency_ms":0.0,"node":"","price":0.0,"quality_mean":0.5,"quality_sample":0.5113575267929428,"score":1.0113575267929429}],"category":"engineering.architecture","chosen":"agent_cto_001","explored":false,"priority":0,"waited_ms":0}',1,0,0.0,'local','local-echo','Build New Feature','engineering');
INSERT INTO task_results VALUES(2,'a11a0e19295ffe64bd39f001c336d117','frontend','agent_frontend_001',1.0,0.0,95,81,601,1796312555539,'{"candidate_count":1,"candidates":[{"agent":"agent_frontend_001","capability_match":0.5,"free_share":1.0,"latency_ms":0.0,"node":"","price":0.0,"quality_mean":0.5,"quality_sample":0.7534495837234388,"score":1.2034495837234391}],"category":"engineering.frontend","chosen":"agent_frontend_001","explored":false,"priority":0,"waited_ms":0}',1,0,0.0,'local','local-echo','Build New Feature','engineering');
INSERT INTO task_results VALUES(3,'a11a0e19295ffe64bd39f001c336d117','backend','agent_backend_001',1.0,0.0,95,79,701,1796312555639,'{"candidate_count":1,"candidates":[{"agent":"agent_backend_001","capability_match":0.3333333333333333,"free_share":1.0,"latency_ms":0.0,"node":"","price":0.0,"quality_mean":0.5,"quality_sample":0.06576327974694841,"score":0.49909661308028175}],"category":"engineering.backend","chosen":"agent_backend_001","explored":false,"priority":0,"waited_ms":0}',1,0,0.0,'local','local-echo','Build New Feature','engineering');
INSERT INTO task_results VALUES(4,'a11a0e19295ffe64bd39f001c336d117','review','agent_reviewer_001',1.0,0.0,179,70,301,1796312555941,'{"candidate_count":1,"candidates":[{"agent":"agent_reviewer_001","capability_match":1.0,"free_share":1.0,"latency_ms":0.0,"node":"","price":0.0,"quality_mean":0.5,"quality_sample":0.8628611353992164,"score":1.3628611353992166}],"category":"engineering.review","chosen":"agent_reviewer_001","explored":false,"priority":0,"waited_ms":0}',1,0,0.0,'local','local-echo','Build New Feature','engineering');
INSERT INTO task_results VALUES(5,'a11a0e19295ffe64bd39f001c336d117','deploy_plan','agent_devops_001',1.0,0.0,84,83,300,1796312556242,'{"candidate_count":1,"candidates":[{"agent":"agent_devops_001","capability_match":0.5,"free_share":1.0,"latency_ms":0.0,"node":"","price":0.0,"quality_mean":0.5,"quality_sample":0.829165666549921,"score":1.2791656665499211}],"category":"operations.deployment","chosen":"agent_devops_001","explored":false,"priority":0,"waited_ms":0}',1,0,0.0,'local','local-echo','Build New Feature','engineering');
INSERT INTO task_results VALUES(6,'c95d4828a73be27c2a588c342bb52a4e','design','agent_cto_001',1.0,0.0,14,82,401,1796312556690,'{"candidate_count":1,"candidates":[{"agent":"agent_cto_001","capability_match":1.0,"free_share":1.0,"latency_ms":0.0,"node":"","price":0.0,"quality_mean":0.6666666666666666,"quality_sample":0.8633833278606513,"score":1.3633833278606515}],"category":"engineering.architecture","chosen":"agent_cto_001","explored":false,"priority":0,"waited_ms":0}',1,0,0.0,'local','local-echo','Build New Feature','engineering');
INSERT INTO task_results VALUES(7,'c95d4828a73be27c2a588c342bb52a4e','frontend','agent_frontend_001',1.0,0.0,95,81,600,1796312557292,'{"candidate_count":1,"candidates":[{"agent":"agent_frontend_001","capability_match":0.5,"free_share":1.0,"latency_ms":0.0,"node":"","price":0.0,"quality_mean":0.6666666666666666,"quality_sample":0.7780667916039448,"score":1.228066791603945}],"category":"engineering.frontend","chosen":"agent_frontend_001","explored":false,"priority":0,"waited_ms":0}',1,0,0.0,'local','local-echo','Build New Feature','engineering');
INSERT INTO task_results VALUES(8,'c95d4828a73be27c2a588c342bb52a4e','backend','agent_backend_001',1.0,0.0,95,79,700,1796312557392,'{"candidate_count":1,"candidates":[{"agent":"agent_backend_001","capability_match":0.3333333333333333,"free_share":1.0,"latency_ms":0.0,"node":"","price":0.0,"quality_mean":0.6666666666666666,"quality_sample":0.5595744209311356,"score":0.992907754264469}],"category":"engineering.backend","chosen":"agent_backend_001","explored":false,"priority":0,"waited_ms":0}',1,0,0.0,'local','local-echo','Build New Feature','engineering');
INSERT INTO task_results VALUES(9,'c95d4828a73be27c2a588c342bb52a4e','review','agent_reviewer_001',1.0,0.0,179,70,300,1796312557694,'{"candidate_count":1,"candidates":[{"agent":"agent_reviewer_001","capability_match":1.0,"free_share":1.0,"latency_ms":0.0,"node":"","price":0.0,"quality_mean":0.6666666666666666,"quality_sample":0.9342668704374595,"score":1.4342668704374597}],"category":"engineering.review","chosen":"agent_reviewer_001","explored":false,"priority":0,"waited_ms":0}',1,0,0.0,'local','local-echo','Build New Feature','engineering');
INSERT INTO task_results VALUES(10,'c95d4828a73be27c2a588c342bb52a4e','deploy_plan','agent_devops_001',1.0,0.0,84,83,301,1796312557996,'{"candidate_count":1,"candidates":[{"agent":"agent_devops_001","capability_match":0.5,"free_share":1.0,"latency_ms":0.0,"node":"","price":0.0,"quality_mean":0.6666666666666666,"quality_sample":0.38460704957767977,"score":0.8346070495776798}],"category":"operations.deployment","chosen":"agent_devops_001","explored":false,"priority":0,"waited_ms":0}',1,0,0.0,'local','local-echo','Build New Feature','engineering');
INSERT INTO task_results VALUES(11,'939e3a609b34547c8665730aa4d5221b','design','agent_cto_001',1.0,0.0,14,82,400,1796312558438,'{"candidate_count":1,"candidates":[{"agent":"agent_cto_001","capability_match":1.0,"free_share":1.0,"latency_ms":0.0,"node":"","price":0.0,"quality_mean":0.7468354430379747,"quality_sample":0.7437214448279282,"score":1.2437214448279286}],"category":"engineering.architecture","chosen":"agent_cto_001","explored":false,"priority":0,"waited_ms":0}',1,0,0.0,'local','local-echo','Build New Feature','engineering');
INSERT INTO task_results VALUES(12,'939e3a609b34547c8665730aa4d5221b','frontend','agent_frontend_001',1.0,0.0,95,81,601,1796312559041,'{"candidate_count":1,"candidates":[{"agent":"agent_frontend_001","capability_match":0.5,"free_share":1.0,"latency_ms":0.0,"node":"","price":0.0,"quality_mean":0.7468354430379747,"quality_sample":0.6179417116762742,"score":1.0679417116762742}],"category":"engineering.frontend","chosen":"agent_frontend_001","explored":false,"priority":0,"waited_ms":0}',1,0,0.0,'local','local-echo','Build New Feature','engineering');
INSERT INTO task_results VALUES(13,'939e3a609b34547c8665730aa4d5221b','backend','agent_backend_001',1.0,0.0,95,79,701,1796312559141,'{"candidate_count":1,"candidates":[{"agent":"agent_backend_001","capability_match":0.3333333333333333,"free_share":1.0,"latency_ms":0.0,"node":"","price":0.0,"quality_mean":0.7468354430379747,"quality_sample":0.9531069600753963,"score":1.3864402934087299}],"category":"engineering.backend","chosen":"agent_backend_001","explored":false,"priority":0,"waited_ms":0}',1,0,0.0,'local','local-echo','Build New Feature','engineering');
CREATE TABLE workflows (
  id           TEXT PRIMARY KEY,
  version      INTEGER NOT NULL DEFAULT 1,
  status       TEXT NOT NULL DEFAULT 'active',
  department   TEXT NOT NULL DEFAULT '',
  trigger_type TEXT NOT NULL DEFAULT 'manual',
  definition   TEXT NOT NULL,
  created_at   INTEGER NOT NULL
, description TEXT NOT NULL DEFAULT '', latest_version INTEGER NOT NULL DEFAULT 1, updated_at INTEGER NOT NULL DEFAULT 0);
INSERT INTO workflows VALUES('Build New Feature',1,'active','engineering','manual','{"department":"engineering","description":"Complete feature development workflow","inputs":{"feature":{"required":true,"type":"string"}},"max_concurrency":0,"name":"Build New Feature","priority":0,"steps":[{"agent_id":"agent_cto_001","command_template_id":"cmd_design_architecture","id":"design","name":"Design Architecture","params":{"feature":"{{inputs.feature}}"},"retry":{"backoff_ms":500,"max_attempts":1,"max_backoff_ms":30000},"timeout_ms":0},{"agent":{"capabilities":["backend"],"department":"engineering"},"command_template_id":"cmd_implement_backend","depends_on":["design"],"id":"backend","name":"Implement Backend","params":{"design":"{{steps.design.output}}"},"retry":{"backoff_ms":500,"max_attempts":3,"max_backoff_ms":30000},"timeout_ms":120000},{"agent":{"capabilities":["frontend"],"department":"engineering"},"command_template_id":"cmd_implement_frontend","depends_on":["design"],"id":"frontend","name":"Implement Frontend","params":{"design":"{{steps.design.output}}"},"retry":{"backoff_ms":500,"max_attempts":3,"max_backoff_ms":30000},"timeout_ms":120000},{"agent_id":"agent_reviewer_001","command_template_id":"cmd_review_code","depends_on":["backend","frontend"],"id":"review","name":"Review","params":{"backend":"{{steps.backend.output}}","frontend":"{{steps.frontend.output}}"},"retry":{"backoff_ms":500,"max_attempts":1,"max_backoff_ms":30000},"timeout_ms":0},{"agent":{"capabilities":["deployment"],"department":"operations"},"command_template_id":"cmd_deployment_plan","depends_on":["review"],"id":"deploy_plan","name":"Deployment Plan","params":{"feature":"{{inputs.feature}}","review":"{{steps.review.output}}"},"retry":{"backoff_ms":500,"max_attempts":1,"max_backoff_ms":30000},"timeout_ms":0}],"trigger_type":"manual","version":1}',1796312554531,'Complete feature development workflow',1,1796312554531);
CREATE TABLE audit_logs (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id    TEXT,
  action     TEXT NOT NULL,
  details    TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
, prev_hash TEXT NOT NULL DEFAULT '', hash TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS "agent_stats" (
  agent_id   TEXT NOT NULL,
  category   TEXT NOT NULL,
  node_id    TEXT NOT NULL DEFAULT '',
  successes  REAL NOT NULL DEFAULT 0,
  failures   REAL NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (agent_id, category, node_id)
);
INSERT INTO agent_stats VALUES('agent_cto_001','engineering.architecture','n1',2.8525000000000000355,0.0,1796312559440);
INSERT INTO agent_stats VALUES('agent_frontend_001','engineering.frontend','n1',2.8525000000000000355,0.0,1796312559440);
INSERT INTO agent_stats VALUES('agent_backend_001','engineering.backend','n1',2.8525000000000000355,0.0,1796312559440);
INSERT INTO agent_stats VALUES('agent_reviewer_001','engineering.review','n1',2.8525000000000000355,0.0,1796312559746);
INSERT INTO agent_stats VALUES('agent_devops_001','operations.deployment','n1',2.8525000000000000355,0.0,1796312559746);
CREATE TABLE workflow_versions (
  workflow_id TEXT NOT NULL,
  version     INTEGER NOT NULL,
  definition  TEXT NOT NULL,
  source      TEXT NOT NULL DEFAULT 'api',
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (workflow_id, version)
);
INSERT INTO workflow_versions VALUES('Build New Feature',1,'{"department":"engineering","description":"Complete feature development workflow","inputs":{"feature":{"required":true,"type":"string"}},"max_concurrency":0,"name":"Build New Feature","priority":0,"steps":[{"agent_id":"agent_cto_001","command_template_id":"cmd_design_architecture","id":"design","name":"Design Architecture","params":{"feature":"{{inputs.feature}}"},"retry":{"backoff_ms":500,"max_attempts":1,"max_backoff_ms":30000},"timeout_ms":0},{"agent":{"capabilities":["backend"],"department":"engineering"},"command_template_id":"cmd_implement_backend","depends_on":["design"],"id":"backend","name":"Implement Backend","params":{"design":"{{steps.design.output}}"},"retry":{"backoff_ms":500,"max_attempts":3,"max_backoff_ms":30000},"timeout_ms":120000},{"agent":{"capabilities":["frontend"],"department":"engineering"},"command_template_id":"cmd_implement_frontend","depends_on":["design"],"id":"frontend","name":"Implement Frontend","params":{"design":"{{steps.design.output}}"},"retry":{"backoff_ms":500,"max_attempts":3,"max_backoff_ms":30000},"timeout_ms":120000},{"agent_id":"agent_reviewer_001","command_template_id":"cmd_review_code","depends_on":["backend","frontend"],"id":"review","name":"Review","params":{"backend":"{{steps.backend.output}}","frontend":"{{steps.frontend.output}}"},"retry":{"backoff_ms":500,"max_attempts":1,"max_backoff_ms":30000},"timeout_ms":0},{"agent":{"capabilities":["deployment"],"department":"operations"},"command_template_id":"cmd_deployment_plan","depends_on":["review"],"id":"deploy_plan","name":"Deployment Plan","params":{"feature":"{{inputs.feature}}","review":"{{steps.review.output}}"},"retry":{"backoff_ms":500,"max_attempts":1,"max_backoff_ms":30000},"timeout_ms":0}],"trigger_type":"manual","version":1}','catalog',1796312554531);
CREATE TABLE command_templates (
  id         TEXT NOT NULL,
  version    INTEGER NOT NULL,
  name       TEXT NOT NULL DEFAULT '',
  category   TEXT NOT NULL DEFAULT 'general',
  definition TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (id, version)
);
INSERT INTO command_templates VALUES('cmd_deployment_plan',1,'Plan deployment','operations.deployment','{"category":"operations.deployment","id":"cmd_deployment_plan","name":"Plan deployment","output":{"format":"markdown","sections":["Rollout","Monitoring","Rollback"]},"params":{"feature":{"required":true,"type":"string"},"review":{"required":true,"type":"string"}},"prompt":"Write a deployment plan for {{feature}} given this review:\n{{review}}\n","version":1}',1796312554531);
INSERT INTO command_templates VALUES('cmd_design_architecture',1,'Design architecture','engineering.architecture','{"category":"engineering.architecture","id":"cmd_design_architecture","name":"Design architecture","output":{"format":"markdown","sections":["Overview","Components","Risks"]},"params":{"constraints":{"default":"none","required":false,"type":"string"},"feature":{"required":true,"type":"string"}},"prompt":"Design the architecture for {{feature}}. Constraints: {{constraints}}.\n","version":1}',1796312554531);
INSERT INTO command_templates VALUES('cmd_implement_backend',1,'Implement backend','engineering.backend','{"category":"engineering.backend","id":"cmd_implement_backend","name":"Implement backend","output":{"format":"markdown","sections":["API","Data model","Tests"]},"params":{"design":{"required":true,"type":"string"},"language":{"default":"C++","required":false,"type":"string"}},"prompt":"Implement the backend in {{language}} following this design:\n{{design}}\n","version":1}',1796312554531);
INSERT INTO command_templates VALUES('cmd_implement_frontend',1,'Implement frontend','engineering.frontend','{"category":"engineering.frontend","id":"cmd_implement_frontend","name":"Implement frontend","output":{"format":"markdown","sections":["Screens","Components","Tests"]},"params":{"design":{"required":true,"type":"string"}},"prompt":"Implement the user interface following this design:\n{{design}}\n","version":1}',1796312554531);
INSERT INTO command_templates VALUES('cmd_review_code',1,'Review code','engineering.review','{"category":"engineering.review","id":"cmd_review_code","name":"Review code","output":{"format":"markdown","sections":["Findings","Verdict"]},"params":{"backend":{"required":true,"type":"string"},"frontend":{"required":true,"type":"string"}},"prompt":"Review this change for correctness, security and style.\nBackend:\n{{backend}}\nFrontend:\n{{frontend}}\n","version":1}',1796312554531);
CREATE TABLE users (
  id              TEXT PRIMARY KEY,
  username        TEXT NOT NULL UNIQUE,
  password_hash   TEXT NOT NULL,
  role            TEXT NOT NULL,
  disabled        INTEGER NOT NULL DEFAULT 0,
  totp_secret     TEXT NOT NULL DEFAULT '',
  totp_confirmed  INTEGER NOT NULL DEFAULT 0,
  totp_last_step  INTEGER NOT NULL DEFAULT 0,
  failed_logins   INTEGER NOT NULL DEFAULT 0,
  locked_until_ms INTEGER NOT NULL DEFAULT 0,
  created_at_ms   INTEGER NOT NULL
);
CREATE TABLE api_keys (
  id            TEXT PRIMARY KEY,
  prefix        TEXT NOT NULL UNIQUE,
  key_hash      TEXT NOT NULL,
  user_id       TEXT NOT NULL,
  name          TEXT NOT NULL DEFAULT '',
  role          TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL DEFAULT 0,
  last_used_ms  INTEGER NOT NULL DEFAULT 0,
  revoked_at_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE refresh_tokens (
  token_hash    TEXT PRIMARY KEY,
  family        TEXT NOT NULL,
  user_id       TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  used_at_ms    INTEGER NOT NULL DEFAULT 0,
  revoked_at_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE signing_keys (
  kid           TEXT PRIMARY KEY,
  secret        TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE TABLE result_ratings (
  execution_id TEXT NOT NULL,
  step_id      TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  score        REAL NOT NULL,
  rated_at_ms  INTEGER NOT NULL,
  PRIMARY KEY (execution_id, step_id, user_id)
);
CREATE TABLE audit_chain_head (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  last_id   INTEGER NOT NULL,
  last_hash TEXT NOT NULL
);
INSERT INTO audit_chain_head VALUES(1,0,'');
CREATE TABLE secrets (
  name          TEXT PRIMARY KEY,
  kek_id        TEXT NOT NULL,
  wrapped_key   TEXT NOT NULL,
  ciphertext    TEXT NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('task_results',15);
CREATE INDEX idx_executions_workflow_state_created
  ON workflow_executions (workflow_name, state, created_at);
CREATE INDEX idx_executions_unfinished
  ON workflow_executions (state) WHERE state IN ('pending', 'running', 'paused');
CREATE INDEX idx_task_results_created_agent_quality
  ON task_results (created_at, agent_id, quality_score);
CREATE INDEX idx_workflows_active_department_created
  ON workflows (department, created_at) WHERE status = 'active';
CREATE INDEX idx_audit_logs_user_created_action
  ON audit_logs (user_id, created_at, action);
CREATE INDEX idx_task_results_workflow_created
  ON task_results (workflow, created_at);
CREATE INDEX idx_task_results_department_created
  ON task_results (department, created_at);
CREATE INDEX idx_task_results_execution_step
  ON task_results (execution_id, step_id);
CREATE UNIQUE INDEX idx_executions_idempotency_key
  ON workflow_executions (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX idx_executions_created ON workflow_executions (created_at);
CREATE INDEX idx_executions_state_created
  ON workflow_executions (state, created_at);
CREATE INDEX idx_refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX idx_refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX idx_audit_logs_action_time ON audit_logs (action, created_at);
COMMIT;
