//! Every refusal the API answers with, named once: its code (the `error` of the JSON
//! body, stable for scripts) and its HTTP status. The app words each one in Chinese; a
//! test checks it has every one.

use axum::http::StatusCode;

macro_rules! refusals {
    ($($(#[doc = $doc:literal])* $variant:ident => ($code:literal, $status:ident),)*) => {
        /// Why the API refused a request.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Refusal {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Refusal {
            pub const ALL: &'static [Refusal] = &[$(Refusal::$variant),*];

            /// The `error` code of the JSON body.
            pub fn code(self) -> &'static str {
                match self {
                    $(Refusal::$variant => $code,)*
                }
            }

            pub fn status(self) -> StatusCode {
                match self {
                    $(Refusal::$variant => StatusCode::$status,)*
                }
            }
        }
    };
}

refusals! {
    /// A cell address that is not `ROW-COL` of the page.
    BadCell => ("bad_cell", BAD_REQUEST),
    /// A wrong user name or password.
    BadCredentials => ("bad_credentials", UNAUTHORIZED),
    /// A search the index cannot parse.
    BadQuery => ("bad_query", BAD_REQUEST),
    /// A state-changing call without the session's CSRF token.
    Csrf => ("csrf", FORBIDDEN),
    /// A keyed row the page already has a record for.
    Exists => ("exists", CONFLICT),
    /// A route the caller's role may not use.
    Forbidden => ("forbidden", FORBIDDEN),
    /// A fault of the server's.
    Internal => ("internal", INTERNAL_SERVER_ERROR),
    /// Values that fail validation.
    Invalid => ("invalid", UNPROCESSABLE_ENTITY),
    /// An item another person holds.
    Leased => ("leased", CONFLICT),
    /// Logins refused for a while after repeated failures.
    Locked => ("locked", TOO_MANY_REQUESTS),
    /// No search index yet.
    NoIndex => ("no_index", SERVICE_UNAVAILABLE),
    /// A server without a workspace.
    NoWorkspace => ("no_workspace", SERVICE_UNAVAILABLE),
    /// No such thing.
    NotFound => ("not_found", NOT_FOUND),
    /// A reopening of a page whose keying is not finished.
    NotKeyed => ("not_keyed", CONFLICT),
    /// An item the caller does not hold.
    NotLeased => ("not_leased", CONFLICT),
    /// A turn by hand of a page OCR read (it keeps the turn it was read at).
    PageRead => ("page_read", CONFLICT),
    /// A session whose account's temporary password is not changed yet, asking for
    /// anything but that change.
    PasswordChangeDue => ("password_change_due", FORBIDDEN),
    /// A protected field (ID number, phone) the caller's role may not change.
    Protected => ("protected", FORBIDDEN),
    /// A save from a version someone else has saved over.
    Stale => ("stale", CONFLICT),
    /// No session.
    Unauthenticated => ("unauthenticated", UNAUTHORIZED),
    /// A password change whose current password is wrong (not a 401: the session stays).
    WrongPassword => ("wrong_password", FORBIDDEN),
}
