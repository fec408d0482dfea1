// The plan editor: while a target's number or unit changes, show what it will mean.
// The words come from the server (data-meanings, worded by sla.targets.Target.meaning);
// this only picks one and puts the number in. Saving still decides what is valid.
"use strict";

function showTargetMeaning(event) {
  const box = event.target.closest(".sd-target");
  if (!box) return;
  const meanings = JSON.parse(box.dataset.meanings);
  const output = box.querySelector(".sd-target-meaning");
  const typed = box.querySelector(".sd-target-number").value.trim();
  let unit = box.querySelector(".sd-target-unit").value;
  if (!unit) {
    output.textContent = typed ? meanings.missing_unit : meanings.none;
    return;
  }
  if (!meanings[unit].many) {
    output.textContent = meanings[unit].one;
    return;
  }
  let number = Number(typed);
  if (!/^\d+$/.test(typed) || number < 1) {
    output.textContent = meanings.bad_number;
    return;
  }
  // Whole hours of minutes are stored and read as hours ("120m" is "2h").
  if ((unit === "m" || unit === "bm") && number % 60 === 0) {
    unit = unit === "m" ? "h" : "bh";
    number /= 60;
  }
  const meaning = meanings[unit];
  output.textContent = number === 1 ? meaning.one : meaning.many.replace("{n}", number);
}

document.addEventListener("input", showTargetMeaning);
document.addEventListener("change", showTargetMeaning);
