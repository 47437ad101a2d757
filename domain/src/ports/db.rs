use async_trait::async_trait;
use serde::de::DeserializeOwned;
use std::future::Future;

use crate::error::DbError;
use crate::sql::{decode, decode_one, Row, Statement};

/// SQL storage (SQLite dialect).
#[async_trait]
pub trait Db: Send + Sync {
    /// Runs a read and returns its rows.
    async fn query(&self, stmt: Statement) -> Result<Vec<Row>, DbError>;
    /// Runs a write and returns the number of rows it changed.
    async fn execute(&self, stmt: Statement) -> Result<u64, DbError>;
    /// Runs writes atomically: all of them or none (a transaction natively, a D1 batch).
    async fn batch(&self, stmts: Vec<Statement>) -> Result<(), DbError>;
    /// A number that moves after every committed write that changed something, or `None` where
    /// this process cannot see every write (D1: other isolates write too). What rendered
    /// pages are cached against: a page stored at one value is current while it holds.
    fn writes(&self) -> Option<u64> {
        None
    }
}

/// Typed reads on any [`Db`]: rows decode into `T` by column name. Separate from [`Db`] because
/// generic methods cannot live on a trait object; every `Db` (and `dyn Db`) gets these.
pub trait DbExt: Db {
    /// Every row.
    fn query_all<T: DeserializeOwned>(
        &self,
        stmt: Statement,
    ) -> impl Future<Output = Result<Vec<T>, DbError>> + Send {
        async move { decode(self.query(stmt).await?) }
    }

    /// The first row, if there is one.
    fn query_opt<T: DeserializeOwned>(
        &self,
        stmt: Statement,
    ) -> impl Future<Output = Result<Option<T>, DbError>> + Send {
        async move { self.query(stmt).await?.into_iter().next().map(decode_one).transpose() }
    }

    /// The first row of a query that always returns one (a `COUNT(*)`, an `INSERT … RETURNING`):
    /// none is a broken query, so [`DbError::NoRow`], an internal failure. Where "no row" is an
    /// answer (a missing document), use [`DbExt::query_opt`] and say what is missing.
    fn query_one<T: DeserializeOwned>(
        &self,
        stmt: Statement,
    ) -> impl Future<Output = Result<T, DbError>> + Send {
        async move { self.query_opt(stmt).await?.ok_or(DbError::NoRow) }
    }
}

impl<D: Db + ?Sized> DbExt for D {}
