//! Who is calling: JWTs, the signed-in user (`CurrentUser`, `AdminUser`) and their data scope.

pub mod extract;
pub mod jwt;
pub mod memo;
pub mod principal;

pub use extract::{AdminUser, CurrentUser};
pub use jwt::{Claims, JwtKeys};
pub use principal::{Principal, Role};
