//! [`domain::Db`] on Cloudflare D1. The SQL is the same SQLite dialect the native host runs.

use async_trait::async_trait;
use domain::sql::{Param, Row, Statement};
use domain::DbError;
use wasm_bindgen::JsValue;
use worker::send::SendFuture;
use worker::{D1Database, D1PreparedStatement};

pub struct D1Db {
    db: D1Database,
}

impl D1Db {
    pub fn new(db: D1Database) -> Self {
        Self { db }
    }

    fn prepare(&self, stmt: &Statement) -> Result<D1PreparedStatement, DbError> {
        let params: Vec<JsValue> = stmt.params.iter().map(to_js).collect();
        // D1 binds every JS number as a real: integers are cast back in the SQL.
        self.db.prepare(stmt.sql_with_integer_casts().as_ref()).bind(&params).map_err(map_err)
    }
}

/// D1 numbers are JS numbers: integers are exact up to 2^53, which ids and counters stay under.
#[expect(clippy::cast_precision_loss, reason = "D1 binds integers as JS numbers")]
fn to_js(param: &Param) -> JsValue {
    match param {
        Param::Null => JsValue::NULL,
        Param::Int(v) => JsValue::from_f64(*v as f64),
        Param::Real(v) => JsValue::from_f64(*v),
        Param::Text(v) => JsValue::from_str(v),
    }
}

fn map_err(err: worker::Error) -> DbError {
    let message = match &err {
        worker::Error::D1(d1) => d1.cause(),
        other => other.to_string(),
    };
    if message.contains("constraint failed") {
        DbError::Constraint(message)
    } else if message.contains("D1_ERROR") || message.contains("SQLITE_") {
        DbError::Query(message)
    } else {
        DbError::Unavailable(message)
    }
}

#[async_trait]
impl domain::Db for D1Db {
    async fn query(&self, stmt: Statement) -> Result<Vec<Row>, DbError> {
        let prepared = self.prepare(&stmt)?;
        SendFuture::new(async move {
            let result = prepared.all().await.map_err(map_err)?;
            result.results::<Row>().map_err(|e| DbError::Decode(e.to_string()))
        })
        .await
    }

    async fn execute(&self, stmt: Statement) -> Result<u64, DbError> {
        let prepared = self.prepare(&stmt)?;
        SendFuture::new(async move {
            let result = prepared.run().await.map_err(map_err)?;
            let changes = result.meta().map_err(map_err)?.and_then(|m| m.changes).unwrap_or(0);
            Ok(changes as u64)
        })
        .await
    }

    /// D1 runs a batch as one transaction: all statements or none.
    async fn batch(&self, stmts: Vec<Statement>) -> Result<(), DbError> {
        let prepared = stmts.iter().map(|s| self.prepare(s)).collect::<Result<Vec<_>, _>>()?;
        SendFuture::new(async { self.db.batch(prepared).await.map(drop).map_err(map_err) }).await
    }
}
