// The external functions the double knows (rows of external_functions, as db/services.php declares
// them): what service_functions.php shows, what webservice/rest/server.php can call, and the
// capabilities the token report's "Missing capabilities" column is built from. mod_percipio's come
// from its db/services.php (2022022124) and externallib.php; the core ones from lib/db/services.php
// and their *_parameters() in Moodle 5.0.6.

export interface FunctionInfo {
  description: string;
  /** The `capabilities` string as declared (informational only: core never checks it, webservice/lib.php:656-668). */
  capabilities: string;
  /** Top-level parameter keys (external_function_parameters), for validate_parameters (external_api.php:334-370). */
  parameters: { required: string[]; optional: string[] };
}

export const FUNCTION_INFO: Record<string, FunctionInfo> = {
  percipio_asset_import: {
    description: "Import course from Percipio into Moodle",
    capabilities:
      "moodle/category:manage, moodle/course:create, moodle/course:visibility, moodle/course:update, moodle/course:changecategory, moodle/course:changeshortname, moodle/course:changeidnumber, moodle/site:config, enrol/self:config",
    // Each percipio function takes exactly one required PARAM_RAW `data` (externallib.php:46-50, 455-459, 651-655).
    parameters: { required: ["data"], optional: [] },
  },
  percipio_image_upload: { description: "Upload image into Moodle w.r.t a course", capabilities: "", parameters: { required: ["data"], optional: [] } },
  percipio_progress_tracking: {
    description: "Import user grades from Percipio into Moodle w.r.t a course",
    capabilities: "moodle/grade:manage",
    parameters: { required: ["data"], optional: [] },
  },
  core_webservice_get_site_info: {
    description: "Return some site info / user info / list web service functions",
    capabilities: "",
    parameters: { required: [], optional: ["serviceshortnames"] },
  },
  core_user_get_users_by_field: {
    description: "Retrieve users' information for a specified unique field",
    capabilities: "moodle/user:viewdetails",
    parameters: { required: ["field", "values"], optional: [] },
  },
  core_course_get_courses: { description: "Return course details", capabilities: "moodle/course:view", parameters: { required: [], optional: ["options"] } },
};
