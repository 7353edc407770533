// Polls /local/monitor.json once a second and renders the counts (no framework, CSP-safe).
(function () {
  'use strict';
  function setText(id, value) {
    var element = document.getElementById(id);
    if (element) element.textContent = String(value);
  }
  function render(snapshot) {
    var reasons = Object.keys(snapshot.denied).sort();
    var deniedTotal = reasons.reduce(function (sum, reason) {
      return sum + snapshot.denied[reason];
    }, 0);
    setText('authorized', snapshot.authorized);
    setText('denied-total', deniedTotal);
    setText('revoked-reuse', snapshot.revokedTokenReuse);
    setText('sharing', snapshot.sharingSuspected);
    setText('concurrency', snapshot.concurrencyLimited);
    setText('store-errors', snapshot.storeErrors);
    var body = document.querySelector('#reasons tbody');
    body.replaceChildren.apply(
      body,
      reasons.map(function (reason) {
        var row = document.createElement('tr');
        row.dataset.reason = reason;
        var name = document.createElement('td');
        name.textContent = reason;
        var count = document.createElement('td');
        count.textContent = String(snapshot.denied[reason]);
        row.append(name, count);
        return row;
      }),
    );
    var list = document.getElementById('recent');
    list.replaceChildren.apply(
      list,
      snapshot.recent.map(function (entry) {
        var item = document.createElement('li');
        item.textContent =
          entry.at.slice(11, 19) + '  ' + entry.event + (entry.detail ? ' (' + entry.detail + ')' : '');
        return item;
      }),
    );
    setText('updated', 'Updated ' + new Date().toLocaleTimeString());
  }
  function poll() {
    fetch('/local/monitor.json', { cache: 'no-store' })
      .then(function (response) {
        return response.json();
      })
      .then(render)
      .catch(function () {
        setText('updated', 'The local stack is not answering');
      })
      .finally(function () {
        setTimeout(poll, 1000);
      });
  }
  poll();
})();
