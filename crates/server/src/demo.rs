//! Demo data: a small practice to look around in. Each area of Hearth adds its part here.

use hearth_app::{App, AppResult, AuditContext, ClientSignUp, NewStaff};
use hearth_domain::Role;

/// One password for every demo account, so the printed logins are easy to use.
pub const DEMO_PASSWORD: &str = "hearth demo password";

/// A demo login to print.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub role: &'static str,
    pub email: &'static str,
}

const STAFF: [(&str, &str, &str, &str); 4] = [
    ("admin", "admin@demo.hearth.example", "Avery Admin", "America/New_York"),
    ("coordinator", "coordinator@demo.hearth.example", "Casey Coordinator", "America/Chicago"),
    ("therapist", "therapist@demo.hearth.example", "Dr. Robin Reyes", "America/Denver"),
    ("therapist", "therapist2@demo.hearth.example", "Jordan Lee, LCSW", "America/Los_Angeles"),
];

const CLIENTS: [(&str, &str, &str, &str, &str); 3] = [
    ("client@demo.hearth.example", "Sam", "America/Los_Angeles", "US-CA", "1988-04-12"),
    ("client2@demo.hearth.example", "Priya", "America/New_York", "US-NY", "1979-09-30"),
    ("client3@demo.hearth.example", "Marcus", "America/Chicago", "US-TX", "1995-01-22"),
];

/// Seeds the demo practice once; running the demo again keeps what is there.
pub async fn seed(app: &App) -> AppResult<Vec<DemoLogin>> {
    if app.count_users(Role::Admin).await? == 0 {
        for (role, email, name, tz) in STAFF {
            app.create_staff(&NewStaff {
                email: email.to_owned(),
                password: DEMO_PASSWORD.to_owned(),
                role: role.to_owned(),
                display_name: Some(name.to_owned()),
                timezone: Some(tz.to_owned()),
            })
            .await?;
        }
        for (email, name, tz, region, birth) in CLIENTS {
            let form = ClientSignUp {
                email: Some(email.to_owned()),
                password: Some(DEMO_PASSWORD.to_owned()),
                display_name: Some(name.to_owned()),
                timezone: Some(tz.to_owned()),
                region: Some(region.to_owned()),
                birth_date: Some(birth.to_owned()),
            };
            app.sign_up_client(&form, &AuditContext::default()).await?;
        }
    }
    Ok(STAFF
        .iter()
        .map(|(role, email, _, _)| DemoLogin { role, email })
        .chain(CLIENTS.iter().map(|(email, ..)| DemoLogin { role: "client", email }))
        .collect())
}
