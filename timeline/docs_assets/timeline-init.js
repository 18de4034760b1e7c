// Starts Swagger UI with the settings the page carries as JSON in
// #swagger-ui-config: the page's Content-Security-Policy runs no inline script.
window.addEventListener("load", function () {
  var config = JSON.parse(document.getElementById("swagger-ui-config").textContent);
  window.ui = SwaggerUIBundle(config);
});
