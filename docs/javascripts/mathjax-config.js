// MathJax 3 settings for pymdownx.arithmatex (generic mode); the script itself is served with
// the site (assets/mathjax/tex-svg.js, see docs/_hooks/mathjax.py), never from a CDN.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
  },
};
