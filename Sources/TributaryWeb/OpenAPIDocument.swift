/// The OpenAPI 3.0 description of the monitoring server's endpoints, served at
/// `GET /api/v1/openapi.json`.
///
/// Written to match what ``JobRoutes`` serves: `OpenAPITests` validates real
/// answers of a running job against these schemas (every object is closed
/// with `additionalProperties: false`, so an undocumented field fails too)
/// and checks that every route is described.
enum OpenAPIDocument {
  /// The document, as JSON.
  static let json = #"""
    {
      "openapi": "3.0.3",
      "info": {
        "title": "Tributary job REST API",
        "version": "1.0.0",
        "description": "Served by every Tributary job process started with --web-port (see docs/operations.md). Every error answer is an Error object; unknown paths answer 404 and wrong methods 405."
      },
      "paths": {
        "/": {
          "get": {
            "summary": "The dashboard: one HTML page that reads this API",
            "operationId": "getDashboard",
            "responses": {
              "200": {
                "description": "The page.",
                "content": {
                  "text/html": {
                    "schema": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        },
        "/metrics": {
          "get": {
            "summary": "Prometheus text exposition of every metric",
            "operationId": "getMetrics",
            "responses": {
              "200": {
                "description": "The exposition (format 0.0.4).",
                "content": {
                  "text/plain": {
                    "schema": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        },
        "/api/v1/job": {
          "get": {
            "summary": "The job: state, vertices, edges",
            "operationId": "getJob",
            "responses": {
              "200": {
                "description": "The job now.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Job"
                    }
                  }
                }
              }
            }
          }
        },
        "/api/v1/checkpoints": {
          "get": {
            "summary": "Checkpoint counts and the last 100 checkpoints",
            "operationId": "getCheckpoints",
            "responses": {
              "200": {
                "description": "Counts and history.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Checkpoints"
                    }
                  }
                }
              }
            }
          }
        },
        "/api/v1/checkpoints/{id}": {
          "get": {
            "summary": "One checkpoint with every subtask's part",
            "operationId": "getCheckpoint",
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "integer",
                  "format": "int64",
                  "minimum": 1
                }
              }
            ],
            "responses": {
              "200": {
                "description": "The checkpoint.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/CheckpointDetail"
                    }
                  }
                }
              },
              "400": {
                "description": "The id is not a number.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "404": {
                "description": "No such checkpoint in the history.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              }
            }
          }
        },
        "/api/v1/exceptions": {
          "get": {
            "summary": "The failures of this process's life, newest first",
            "operationId": "getExceptions",
            "responses": {
              "200": {
                "description": "The failures.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Exceptions"
                    }
                  }
                }
              }
            }
          }
        },
        "/api/v1/config": {
          "get": {
            "summary": "The job's effective options",
            "operationId": "getConfig",
            "responses": {
              "200": {
                "description": "The options.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Config"
                    }
                  }
                }
              },
              "503": {
                "description": "The job has not started yet.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              }
            }
          }
        },
        "/api/v1/throughput": {
          "get": {
            "summary": "Source and sink records per second, one sample a second, last 5 minutes",
            "operationId": "getThroughput",
            "responses": {
              "200": {
                "description": "Samples, oldest first.",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/ThroughputSample"
                      }
                    }
                  }
                }
              }
            }
          }
        },
        "/api/v1/openapi.json": {
          "get": {
            "summary": "This description",
            "operationId": "getOpenAPI",
            "responses": {
              "200": {
                "description": "OpenAPI 3.0 document.",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              }
            }
          }
        },
        "/api/v1/savepoints": {
          "post": {
            "summary": "Take a savepoint; answers when it is complete and durable",
            "operationId": "postSavepoint",
            "responses": {
              "200": {
                "description": "The savepoint.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Savepoint"
                    }
                  }
                }
              },
              "409": {
                "description": "Another API savepoint is running, the job has ended, or checkpointing is off.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "500": {
                "description": "The savepoint failed; the job goes on.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "503": {
                "description": "The job has not started yet or is restarting.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              }
            }
          }
        },
        "/api/v1/stop": {
          "post": {
            "summary": "Stop with a savepoint; the process then exits 0",
            "operationId": "postStop",
            "responses": {
              "200": {
                "description": "The savepoint the job stopped with.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Savepoint"
                    }
                  }
                }
              },
              "409": {
                "description": "Another API savepoint is running, the job has ended, or checkpointing is off.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "500": {
                "description": "The savepoint failed; the job goes on.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "503": {
                "description": "The job has not started yet or is restarting.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "components": {
        "schemas": {
          "Error": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "error",
              "hint"
            ],
            "properties": {
              "error": {
                "type": "string",
                "description": "What went wrong."
              },
              "hint": {
                "type": "string",
                "description": "What to do about it."
              }
            }
          },
          "Job": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "name",
              "state",
              "started_at",
              "duration_ms",
              "error",
              "restarts",
              "checkpointing",
              "vertices",
              "edges"
            ],
            "properties": {
              "name": {
                "type": "string"
              },
              "state": {
                "type": "string",
                "enum": [
                  "CREATED",
                  "RUNNING",
                  "RESTARTING",
                  "FINISHED",
                  "FAILED",
                  "CANCELED"
                ]
              },
              "started_at": {
                "type": "string",
                "format": "date-time",
                "nullable": true
              },
              "duration_ms": {
                "type": "integer",
                "format": "int64"
              },
              "error": {
                "type": "string",
                "nullable": true
              },
              "restarts": {
                "type": "integer",
                "format": "int64"
              },
              "checkpointing": {
                "type": "boolean"
              },
              "vertices": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Vertex"
                }
              },
              "edges": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Edge"
                }
              }
            },
            "description": "A point-in-time view of the job."
          },
          "Vertex": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "id",
              "name",
              "parallelism",
              "records_in",
              "records_out",
              "records_in_per_second",
              "records_out_per_second",
              "busy_ratio",
              "idle_ratio",
              "backpressure_ratio",
              "watermark_ms",
              "subtasks",
              "operators"
            ],
            "properties": {
              "id": {
                "type": "integer",
                "format": "int64"
              },
              "name": {
                "type": "string"
              },
              "parallelism": {
                "type": "integer",
                "format": "int64"
              },
              "records_in": {
                "type": "integer",
                "format": "int64"
              },
              "records_out": {
                "type": "integer",
                "format": "int64"
              },
              "records_in_per_second": {
                "type": "number"
              },
              "records_out_per_second": {
                "type": "number"
              },
              "busy_ratio": {
                "type": "number",
                "minimum": 0,
                "maximum": 1
              },
              "idle_ratio": {
                "type": "number",
                "minimum": 0,
                "maximum": 1
              },
              "backpressure_ratio": {
                "type": "number",
                "minimum": 0,
                "maximum": 1
              },
              "watermark_ms": {
                "type": "integer",
                "format": "int64",
                "nullable": true
              },
              "subtasks": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Subtask"
                }
              },
              "operators": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Operator"
                }
              }
            },
            "description": "A chain of operators run as one task per subtask; ratios are those of its most loaded subtask."
          },
          "Subtask": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "index",
              "records_in",
              "records_out",
              "records_in_per_second",
              "records_out_per_second",
              "busy_ratio",
              "idle_ratio",
              "backpressure_ratio",
              "watermark_ms",
              "idle"
            ],
            "properties": {
              "index": {
                "type": "integer",
                "format": "int64"
              },
              "records_in": {
                "type": "integer",
                "format": "int64"
              },
              "records_out": {
                "type": "integer",
                "format": "int64"
              },
              "records_in_per_second": {
                "type": "number"
              },
              "records_out_per_second": {
                "type": "number"
              },
              "busy_ratio": {
                "type": "number",
                "minimum": 0,
                "maximum": 1
              },
              "idle_ratio": {
                "type": "number",
                "minimum": 0,
                "maximum": 1
              },
              "backpressure_ratio": {
                "type": "number",
                "minimum": 0,
                "maximum": 1
              },
              "watermark_ms": {
                "type": "integer",
                "format": "int64",
                "nullable": true
              },
              "idle": {
                "type": "boolean"
              }
            }
          },
          "Operator": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "name",
              "records_in",
              "records_out",
              "watermark_ms"
            ],
            "properties": {
              "name": {
                "type": "string"
              },
              "records_in": {
                "type": "integer",
                "format": "int64"
              },
              "records_out": {
                "type": "integer",
                "format": "int64"
              },
              "watermark_ms": {
                "type": "integer",
                "format": "int64",
                "nullable": true
              }
            }
          },
          "Edge": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "from",
              "to",
              "partitioning",
              "side_output"
            ],
            "properties": {
              "from": {
                "type": "integer",
                "format": "int64"
              },
              "to": {
                "type": "integer",
                "format": "int64"
              },
              "partitioning": {
                "type": "string",
                "enum": [
                  "FORWARD",
                  "REBALANCE",
                  "HASH",
                  "BROADCAST"
                ]
              },
              "side_output": {
                "type": "string",
                "nullable": true
              }
            }
          },
          "Checkpoints": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "counts",
              "latest_completed",
              "history",
              "interval"
            ],
            "properties": {
              "counts": {
                "$ref": "#/components/schemas/CheckpointCounts"
              },
              "interval": {
                "description": "The interval chosen from the recovery objective (--checkpoint-interval auto); null without an objective.",
                "nullable": true,
                "allOf": [
                  {
                    "$ref": "#/components/schemas/CheckpointInterval"
                  }
                ]
              },
              "latest_completed": {
                "nullable": true,
                "allOf": [
                  {
                    "$ref": "#/components/schemas/Checkpoint"
                  }
                ]
              },
              "history": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Checkpoint"
                },
                "maxItems": 100
              }
            }
          },
          "CheckpointInterval": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "interval_ms",
              "adaptive",
              "recovery_objective_ms",
              "predicted_recovery_ms",
              "objective_met"
            ],
            "properties": {
              "interval_ms": {
                "type": "integer",
                "description": "The checkpoint interval in force."
              },
              "adaptive": {
                "type": "boolean",
                "description": "Whether the job chooses the interval (always true when present)."
              },
              "recovery_objective_ms": {
                "type": "integer",
                "description": "The recovery-time objective."
              },
              "predicted_recovery_ms": {
                "type": "integer",
                "nullable": true,
                "description": "The predicted recovery time at the current interval; null before the second completed checkpoint."
              },
              "objective_met": {
                "type": "boolean",
                "description": "False when the objective cannot be met even at the minimum interval (the job then runs at the minimum)."
              }
            }
          },
          "CheckpointCounts": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "completed",
              "failed",
              "in_progress"
            ],
            "properties": {
              "completed": {
                "type": "integer",
                "format": "int64"
              },
              "failed": {
                "type": "integer",
                "format": "int64"
              },
              "in_progress": {
                "type": "integer",
                "format": "int64"
              }
            }
          },
          "Checkpoint": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "id",
              "status",
              "is_savepoint",
              "trigger_time",
              "duration_ms",
              "size_bytes",
              "alignment_ms_max",
              "sync_ms_max",
              "async_ms_max",
              "failure",
              "path"
            ],
            "properties": {
              "id": {
                "type": "integer",
                "format": "int64"
              },
              "status": {
                "type": "string",
                "enum": [
                  "IN_PROGRESS",
                  "COMPLETED",
                  "FAILED"
                ]
              },
              "is_savepoint": {
                "type": "boolean"
              },
              "trigger_time": {
                "type": "string",
                "format": "date-time"
              },
              "duration_ms": {
                "type": "integer",
                "format": "int64",
                "nullable": true
              },
              "size_bytes": {
                "type": "integer",
                "format": "int64",
                "nullable": true
              },
              "alignment_ms_max": {
                "type": "integer",
                "format": "int64",
                "nullable": true
              },
              "sync_ms_max": {
                "type": "integer",
                "format": "int64",
                "nullable": true
              },
              "async_ms_max": {
                "type": "integer",
                "format": "int64",
                "nullable": true
              },
              "failure": {
                "type": "string",
                "nullable": true
              },
              "path": {
                "type": "string",
                "nullable": true
              }
            }
          },
          "CheckpointDetail": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "checkpoint",
              "subtasks"
            ],
            "properties": {
              "checkpoint": {
                "$ref": "#/components/schemas/Checkpoint"
              },
              "subtasks": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/CheckpointSubtask"
                }
              }
            }
          },
          "CheckpointSubtask": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "vertex",
              "name",
              "subtask",
              "alignment_ms",
              "sync_ms",
              "async_ms",
              "size_bytes"
            ],
            "properties": {
              "vertex": {
                "type": "integer",
                "format": "int64"
              },
              "name": {
                "type": "string"
              },
              "subtask": {
                "type": "integer",
                "format": "int64"
              },
              "alignment_ms": {
                "type": "integer",
                "format": "int64"
              },
              "sync_ms": {
                "type": "integer",
                "format": "int64"
              },
              "async_ms": {
                "type": "integer",
                "format": "int64"
              },
              "size_bytes": {
                "type": "integer",
                "format": "int64"
              }
            }
          },
          "Exceptions": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "exceptions"
            ],
            "properties": {
              "exceptions": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/Exception"
                }
              }
            }
          },
          "Exception": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "time",
              "root_cause",
              "operator",
              "subtask",
              "message",
              "restarted"
            ],
            "properties": {
              "time": {
                "type": "string",
                "format": "date-time"
              },
              "root_cause": {
                "type": "string"
              },
              "operator": {
                "type": "string",
                "nullable": true
              },
              "subtask": {
                "type": "integer",
                "format": "int64",
                "nullable": true
              },
              "message": {
                "type": "string"
              },
              "restarted": {
                "type": "boolean"
              }
            }
          },
          "Config": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "name",
              "parallelism",
              "max_parallelism",
              "batch_size",
              "channel_capacity",
              "state_backend",
              "state_directory",
              "restart_strategy",
              "checkpointing"
            ],
            "properties": {
              "name": {
                "type": "string"
              },
              "parallelism": {
                "type": "integer",
                "format": "int64"
              },
              "max_parallelism": {
                "type": "integer",
                "format": "int64"
              },
              "batch_size": {
                "type": "integer",
                "format": "int64"
              },
              "channel_capacity": {
                "type": "integer",
                "format": "int64"
              },
              "state_backend": {
                "type": "string",
                "enum": [
                  "heap",
                  "rocksdb"
                ]
              },
              "state_directory": {
                "type": "string",
                "nullable": true
              },
              "restart_strategy": {
                "type": "string"
              },
              "checkpointing": {
                "nullable": true,
                "allOf": [
                  {
                    "$ref": "#/components/schemas/CheckpointingConfig"
                  }
                ]
              }
            }
          },
          "CheckpointingConfig": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "directory",
              "interval_ms",
              "mode",
              "timeout_ms",
              "min_pause_ms",
              "max_concurrent",
              "retained",
              "tolerable_failures"
            ],
            "properties": {
              "directory": {
                "type": "string"
              },
              "interval_ms": {
                "type": "integer",
                "format": "int64",
                "nullable": true
              },
              "mode": {
                "type": "string",
                "enum": [
                  "EXACTLY_ONCE",
                  "AT_LEAST_ONCE"
                ]
              },
              "timeout_ms": {
                "type": "integer",
                "format": "int64"
              },
              "min_pause_ms": {
                "type": "integer",
                "format": "int64"
              },
              "max_concurrent": {
                "type": "integer",
                "format": "int64"
              },
              "retained": {
                "type": "integer",
                "format": "int64"
              },
              "tolerable_failures": {
                "type": "integer",
                "format": "int64"
              }
            }
          },
          "ThroughputSample": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "time_ms",
              "source_records_per_second",
              "sink_records_per_second"
            ],
            "properties": {
              "time_ms": {
                "type": "integer",
                "format": "int64"
              },
              "source_records_per_second": {
                "type": "number"
              },
              "sink_records_per_second": {
                "type": "number"
              }
            }
          },
          "Savepoint": {
            "type": "object",
            "additionalProperties": false,
            "required": [
              "id",
              "path"
            ],
            "properties": {
              "id": {
                "type": "integer",
                "format": "int64"
              },
              "path": {
                "type": "string"
              }
            }
          }
        }
      }
    }
    """#
}
