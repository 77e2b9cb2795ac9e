// Tell RequireJS that the widget manager lives in this site's _static/widgets/, so that
// the fonts and icons it loads come from there too (its default is a path beside the page).
(function () {
  var here = document.currentScript.src.split("?")[0];
  var folder = here.slice(0, here.lastIndexOf("/") + 1) + "widgets";
  require.config({ paths: { "@jupyter-widgets/html-manager/dist": folder } });
})();
