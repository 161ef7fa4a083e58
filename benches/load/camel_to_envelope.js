// nginx + njs doing the gateway's camel -> envelope GET translation, for benches/load.sh:
// the "small script in the nginx we already run" that a platform team compares us with.
// It subrequests the camel backend, maps the fields and wraps them in the envelope; unlike
// the gateway it validates nothing, authenticates nothing and maps no role table.

function envelope(r) {
    var id = r.uri.slice('/njs/v1/users/user_'.length);
    r.subrequest('/_camel/api/users/' + id, function (reply) {
        if (reply.status !== 200) {
            r.return(reply.status === 404 ? 404 : 502);
            return;
        }
        var u = JSON.parse(reply.responseText);
        var roles = u.roles || [];
        var data = {
            id: 'user_' + u.id,
            email: u.email,
            name: [u.firstName, u.lastName].filter(function (p) { return p; }).join(' '),
            status: u.status
        };
        if (roles.length) { data.role = roles[0].name; }
        if (u.createdAt) { data.created_time = u.createdAt; }
        if (u.updatedAt) { data.updated_time = u.updatedAt; }
        var out = {
            success: true,
            data: data,
            meta: { timestamp: new Date().toISOString().slice(0, 19) + 'Z', request_id: 'req_' + r.variables.request_id }
        };
        r.headersOut['Content-Type'] = 'application/json';
        r.return(200, JSON.stringify(out));
    });
}

export default { envelope };
