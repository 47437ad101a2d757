use async_trait::async_trait;

use crate::error::DbError;
use crate::sql::{Row, Statement};

/// SQL storage (SQLite dialect).
#[async_trait]
pub trait Db: Send + Sync {
    /// Runs a read and returns its rows.
    async fn query(&self, stmt: Statement) -> Result<Vec<Row>, DbError>;
    /// Runs a write and returns the number of rows it changed.
    async fn execute(&self, stmt: Statement) -> Result<u64, DbError>;
    /// Runs writes atomically: all of them or none (a transaction natively, a D1 batch).
    async fn batch(&self, stmts: Vec<Statement>) -> Result<(), DbError>;
}
